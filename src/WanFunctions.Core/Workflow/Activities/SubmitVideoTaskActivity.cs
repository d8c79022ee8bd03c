using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WanFunctions.DashScope;
using WanFunctions.Jobs;
using WanFunctions.Storage;
using WanFunctions.Telemetry;

namespace WanFunctions.Workflow.Activities;

/// <summary>
/// Submits the job to DashScope, at most one provider task per job. Permanent refusals (4xx) come back as
/// <see cref="SubmitOutcome.Error"/>; only faults after which the provider certainly created nothing (429, the
/// provider's 5xx error body, connection refused) are thrown, for the orchestration's retry policy to submit again.
/// </summary>
/// <remarks>
/// An intent is recorded before the request is sent. When the answer is lost (timeout or reset after sending, an HTTP
/// error without the provider's body, a garbled 200) or an earlier run left an intent without a task id (the worker
/// died, the ledger write failed), the activity never submits again: it settles the outcome in the provider's task list
/// (model, time window), adopts the one unrecorded task whose <c>orig_prompt</c> is the job's, and otherwise ends the job
/// with <c>SubmitOutcomeUnknown</c> naming the model and the window to check at the provider.
/// The task belongs to the pool account it was sent with (the gate's grant, or without the gate one of the accounts that
/// serve the job, picked by the job id): the intent, the ledger and the outcome name it, and the settling looks in its
/// task list, the only one that shows the task.
/// </remarks>
public sealed partial class SubmitVideoTaskActivity(
    IDashScopeClientFactory clients,
    ReferenceUrlResolver references,
    ISubmissionLedger ledger,
    IOptions<DashScopeOptions> options,
    TimeProvider time,
    ILogger<SubmitVideoTaskActivity> log) : IWorkflowActivity<SubmitVideoTaskInput, SubmitOutcome>
{
    /// <summary>Slack on both ends of the list window: clock skew between us and the provider, and whole-second filters.</summary>
    internal static readonly TimeSpan WindowMargin = TimeSpan.FromMinutes(1);

    internal const int ListPageSize = 100;
    internal const int MaxListPages = 10;
    internal const int RecordAttempts = 3;

    /// <summary>Traced as <c>wan.submit</c>: job, model and the provider task id or the refusal's code.</summary>
    public Task<SubmitOutcome> RunAsync(SubmitVideoTaskInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        return WorkflowTelemetry.TraceAsync("submit", input.JobId, async span =>
        {
            span.SetSafeTag(WorkflowTelemetry.Tags.Model, input.Job.Model);
            // Spaced to the account's submit rate by a timer that may fire early: the rest is waited out here.
            await EarlyTimers.WaitUntilAsync(input.NotBefore, time, cancellationToken);
            var outcome = await SubmitAsync(input, cancellationToken);
            span.SetSafeTag(WorkflowTelemetry.Tags.TaskId, outcome.TaskId);
            span.SetErrorCode(outcome.Error?.Code);
            return outcome;
        });
    }

    private async Task<SubmitOutcome> SubmitAsync(SubmitVideoTaskInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (await ledger.FindTaskIdAsync(input.JobId, cancellationToken) is { } recorded)
        {
            LogAlreadySubmitted(log, input.JobId, recorded);
            var owner = await ledger.FindTaskAsync(recorded, cancellationToken);
            return new SubmitOutcome(recorded, Account: owner?.Account ?? AccountFor(input));
        }

        var job = input.Job;
        var promptSha256 = Hashing.Sha256Hex(job.Prompt);
        if (await ledger.FindIntentAsync(input.JobId, promptSha256, cancellationToken) is { } earlier)
        {
            // An earlier run may have sent the request and never recorded its answer: sending again could pay twice.
            LogEarlierAttemptUnsettled(log, input.JobId, earlier.AttemptedAt);
            return await SettleAsync(input, earlier, "an earlier attempt ended without recording the provider's answer", cancellationToken);
        }

        IReadOnlyList<string> urls;
        try
        {
            urls = await references.ResolveAsync(job.References, cancellationToken);
        }
        catch (ReferenceRejectedException ex)
        {
            return new SubmitOutcome(null, new JobError(ex.Code, ex.Message, JobErrorSource.Workflow));
        }

        var request = new VideoSynthesisRequest(job.Model, job.Prompt, job.NegativePrompt, urls,
            job.Size, job.Duration, job.Audio, job.ShotType, job.Watermark, job.Seed);
        var account = AccountFor(input);
        var intent = new SubmitIntent(input.JobId, job.Model, promptSha256, time.GetUtcNow(),
            account == DashScopeAccount.DefaultName ? null : account);
        await ledger.WriteIntentAsync(intent, cancellationToken);

        SubmittedTask task;
        try
        {
            task = await clients.ClientOf(account).SubmitAsync(request, cancellationToken);
        }
        catch (DashScopeException ex) when (ex.OutcomeUnknown)
        {
            LogSubmitOutcomeUnknown(log, input.JobId, ex.Code, ex.StatusCode is { } status ? (int)status : null);
            return await SettleAsync(input, intent, $"{ex.Code}: {ex.ProviderMessage}", cancellationToken);
        }
        catch (DashScopeException ex)
        {
            // The provider certainly created nothing, so the next attempt may submit afresh.
            await ForgetIntentAsync(intent, cancellationToken);
            if (input.ReturnThrottled && ex.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
            {
                // The capacity gate queues the job again rather than retrying here.
                LogSubmitThrottled(log, input.JobId, ex.Code);
                return new SubmitOutcome(null, new JobError(ex.Code, ex.ProviderMessage, JobErrorSource.Provider), Throttled: true, Account: account);
            }

            if (ex.IsTransient)
            {
                throw;
            }

            LogSubmitRefused(log, input.JobId, ex.Code, ex.RequestId);
            return new SubmitOutcome(null, JobError.FromProvider(ex));
        }

        // The task was created no later than now: the poll schedule counts from here, not from when the orchestration hears of it.
        var submittedAt = time.GetUtcNow().UtcDateTime;
        LogSubmitted(log, input.JobId, task.TaskId, task.RequestId);
        return await AdoptAsync(intent, task.TaskId, cancellationToken) with { SubmittedAt = submittedAt };
    }

    /// <summary>
    /// The task exists and is this job's. Its id is recorded (a few tries); if storage still fails, the id is returned
    /// anyway: the orchestration's history then holds it, and the intent left behind lets a re-run of this activity find
    /// the task in the provider's list instead of submitting again. Either way no accepted task is orphaned.
    /// </summary>
    private async Task<SubmitOutcome> AdoptAsync(SubmitIntent intent, string taskId, CancellationToken cancellationToken)
    {
        var account = intent.Account ?? DashScopeAccount.DefaultName;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ledger.RecordAsync(intent.JobId, taskId, account, cancellationToken);
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (attempt >= RecordAttempts)
                {
                    LogLedgerWriteFailed(log, ex, intent.JobId, taskId);
                    return new SubmitOutcome(taskId, Account: account);
                }

                await Task.Delay(TimeSpan.FromSeconds(attempt), time, cancellationToken);
            }
        }

        await ForgetIntentAsync(intent, cancellationToken);
        return new SubmitOutcome(taskId, Account: account);
    }

    /// <summary>
    /// The account to submit with: the gate's grant, else (gate off) one of the pool accounts whose region serves the
    /// job, the same for every run of the job (picked by a hash of its id, which spreads jobs over the accounts).
    /// </summary>
    private string AccountFor(SubmitVideoTaskInput input)
    {
        if (input.Account is { } granted)
        {
            return granted;
        }

        var serving = clients.Accounts.Where(a => ModelCatalog.Serves(a.Region, input.Job)).ToList();
        if (serving.Count == 0)
        {
            throw new InvalidOperationException(
                $"No configured DashScope account serves model {input.Job.Model} with this job's settings (accounts: {string.Join(", ", clients.Accounts.Select(a => $"{a.Name} in {a.Region}"))}).");
        }

        var hash = uint.Parse(Hashing.Sha256Hex(input.JobId)[..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return serving[(int)(hash % (uint)serving.Count)].Name;
    }

    /// <summary>A leftover intent only makes a later run settle instead of submit, which is safe: a failure here is logged, not thrown.</summary>
    private async Task ForgetIntentAsync(SubmitIntent intent, CancellationToken cancellationToken)
    {
        try
        {
            await ledger.DeleteIntentAsync(intent.JobId, intent.PromptSha256, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogIntentNotRemoved(log, ex, intent.JobId);
        }
    }

    /// <summary>
    /// Looks for the job's task in the provider's list, a few times (the list may lag behind the submit), bounded by
    /// <see cref="DashScopeOptions.SubmitSettleLooks"/> × <see cref="DashScopeOptions.SubmitSettleInterval"/>.
    /// </summary>
    private async Task<SubmitOutcome> SettleAsync(SubmitVideoTaskInput input, SubmitIntent intent, string lostAnswer, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var from = intent.AttemptedAt - WindowMargin;
        var to = from;
        var problem = "no look was made";
        for (var look = 1; look <= settings.SubmitSettleLooks; look++)
        {
            if (look > 1)
            {
                await Task.Delay(settings.SubmitSettleInterval, time, cancellationToken);
            }

            to = time.GetUtcNow() + WindowMargin;
            try
            {
                (var taskId, problem) = await LookAsync(input, intent, from, to, cancellationToken);
                if (taskId is not null)
                {
                    LogTaskFoundInList(log, input.JobId, taskId, look);
                    return await AdoptAsync(intent, taskId, cancellationToken);
                }
            }
            catch (DashScopeException ex)
            {
                problem = $"the provider's task list could not be read ({ex.Code})";
            }

            LogLookSettledNothing(log, input.JobId, look, problem);
        }

        // The intent stays: a re-run of this activity must settle again, never submit.
        return new SubmitOutcome(null, new JobError(JobErrors.SubmitOutcomeUnknown, OutcomeUnknownMessage(input.Job.Model, lostAnswer, problem, from, to), JobErrorSource.Workflow));
    }

    /// <summary>One look: the job's task id, or why it could not be told.</summary>
    private async Task<(string? TaskId, string Problem)> LookAsync(SubmitVideoTaskInput input, SubmitIntent intent,
        DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        // Rivals before the list: a sibling job records its task before it drops its intent, so once the intent is gone
        // its task is excluded below as recorded; while the intent is there, the two tasks cannot be told apart. An
        // intent older than the window by more than a whole call (TotalTimeout) cannot have put a task into it.
        var others = await ledger.FindOtherIntentsAsync(input.JobId, intent.PromptSha256, cancellationToken);
        var rival = others.Any(other => other.AttemptedAt + options.Value.TotalTimeout >= from);
        var matches = new List<string>();
        for (var page = 1; ; page++)
        {
            var dashScope = clients.ClientOf(intent.Account);
            var listed = await dashScope.ListTasksAsync(
                new DashScopeTaskQuery(page, ListPageSize, from, to, input.Job.Model), cancellationToken);
            foreach (var candidate in listed.Tasks)
            {
                var owner = await ledger.FindJobOfTaskAsync(candidate.TaskId, cancellationToken);
                if (owner == input.JobId)
                {
                    return (candidate.TaskId, "");
                }

                if (owner is not null)
                {
                    continue; // another job's task
                }

                // Only the query answer carries the prompt the task was submitted with.
                var detail = await dashScope.GetTaskAsync(candidate.TaskId, cancellationToken);
                if (string.Equals(detail.OrigPrompt, input.Job.Prompt, StringComparison.Ordinal))
                {
                    matches.Add(candidate.TaskId);
                }
            }

            if (listed.Tasks.Count < ListPageSize || page * ListPageSize >= listed.Total)
            {
                break;
            }

            if (page == MaxListPages)
            {
                return (null, $"more than {MaxListPages * ListPageSize} tasks in the window");
            }
        }

        return matches.Count switch
        {
            0 => (null, "no unrecorded task with this job's prompt is listed"),
            1 when !rival => (matches[0], ""),
            // Task ids are not secrets: naming the candidates lets an operator settle the job at the provider.
            1 => (null, $"another job with the same prompt was submitting at the same time; candidate task {matches[0]}"),
            _ => (null, $"{matches.Count} unrecorded tasks carry this job's prompt: {string.Join(", ", matches)}"),
        };
    }

    private string OutcomeUnknownMessage(string model, string lostAnswer, string problem, DateTimeOffset from, DateTimeOffset to)
    {
        var offset = options.Value.ProviderTimeOffset;
        string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        string Provider(DateTimeOffset t) => t.ToOffset(offset).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var zone = (offset < TimeSpan.Zero ? "-" : "+") + offset.ToString(@"hh\:mm", CultureInfo.InvariantCulture);
        return $"The provider's answer to the submit was lost ({lostAnswer}) and its task list did not settle the outcome ({problem}). "
            + $"A task may have been created and billed: check the provider's {model} tasks submitted between {Utc(from)} and {Utc(to)} UTC "
            + $"({Provider(from)} and {Provider(to)} provider time, UTC{zone}) for one with this job's prompt. The job did not submit again.";
    }
}

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class SubmitVideoTaskActivity
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} was already submitted as task {TaskId}")]
    private static partial void LogAlreadySubmitted(ILogger logger, string jobId, string taskId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: an earlier submit attempt at {AttemptedAt:o} left no task id; settling it in the provider's task list")]
    private static partial void LogEarlierAttemptUnsettled(ILogger logger, string jobId, DateTimeOffset attemptedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the submit's outcome is unknown ({Code}, HTTP {StatusCode}); settling it in the provider's task list")]
    private static partial void LogSubmitOutcomeUnknown(ILogger logger, string jobId, string code, int? statusCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} refused by the provider: {Code} (request {RequestId})")]
    private static partial void LogSubmitRefused(ILogger logger, string jobId, string code, string? requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} submitted as task {TaskId} (request {RequestId})")]
    private static partial void LogSubmitted(ILogger logger, string jobId, string taskId, string? requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: task {TaskId} could not be recorded in the ledger; carrying on with it, the intent stays as evidence")]
    private static partial void LogLedgerWriteFailed(ILogger logger, Exception exception, string jobId, string taskId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the submit intent could not be removed")]
    private static partial void LogIntentNotRemoved(ILogger logger, Exception exception, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: found its task {TaskId} in the provider's list (look {Look}); adopting it")]
    private static partial void LogTaskFoundInList(ILogger logger, string jobId, string taskId, int look);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: look {Look} in the provider's task list settled nothing: {Problem}")]
    private static partial void LogLookSettledNothing(ILogger logger, string jobId, int look, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the provider throttled the submit ({Code})")]
    private static partial void LogSubmitThrottled(ILogger logger, string jobId, string code);
}
