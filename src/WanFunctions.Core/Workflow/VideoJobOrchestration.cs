using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using WanFunctions.DashScope;

namespace WanFunctions.Workflow;

/// <summary>
/// The job's orchestration: submit → poll on durable timers until a terminal state or the deadline → archive.
/// Deterministic: time comes only from <see cref="TaskOrchestrationContext.CurrentUtcDateTime"/>, all I/O is
/// in activities, and the schedule travels in the input. Both hosts (Functions and the Durable Task SDK) run it.
/// </summary>
public static class VideoJobOrchestration
{
    public static async Task<JobResult> RunAsync(TaskOrchestrationContext context, VideoJobInput input)
    {
        ILogger log = context.CreateReplaySafeLogger(typeof(VideoJobOrchestration));
        PollingSchedule schedule = input.Schedule;
        PollState? poll = input.Poll;

        if (poll is null)
        {
            context.SetCustomStatus(new JobProgress(JobPhase.Submitting));
            SubmitOutcome submitted;
            try
            {
                submitted = await context.CallActivityAsync<SubmitOutcome>(
                    WorkflowNames.SubmitVideoTask, new SubmitVideoTaskInput(input.JobId, input.Job), SubmitRetry(schedule));
            }
            catch (TaskFailedException ex)
            {
                return await FinishAsync(context, input, null, JobOutcome.Failed,
                    error: new JobError(JobErrors.SubmitFailed, ex.FailureDetails.ErrorMessage, JobErrorSource.Workflow));
            }

            if (submitted.Error is not null || submitted.TaskId is null)
            {
                return await FinishAsync(context, input, null, JobOutcome.Failed,
                    error: submitted.Error ?? new JobError(JobErrors.SubmitFailed, "The provider answered without a task id.", JobErrorSource.Workflow));
            }

            log.LogInformation("Job {JobId} submitted as provider task {TaskId}", input.JobId, submitted.TaskId);
            poll = new PollState(submitted.TaskId, context.CurrentUtcDateTime, input.AcceptedAt + schedule.Deadline, 0,
                DashScopeTaskState.Pending);
        }

        // One waiter for the whole generation: a fresh waiter per loop would leave stale ones to swallow the event.
        Task<CancelRequest> cancelRequested = context.WaitForExternalEvent<CancelRequest>(WorkflowNames.CancelEvent);
        int pollsThisGeneration = 0;

        if (poll.CancelRequested is not null)
        {
            // Carried over from the previous generation (see the ContinueAsNew below): handled before anything else.
            (JobResult? canceled, poll) = await CancelOnRequestAsync(context, input, poll, log);
            if (canceled is not null)
            {
                return canceled;
            }
        }

        while (true)
        {
            DateTime now = context.CurrentUtcDateTime;
            if (now >= poll.DeadlineAt)
            {
                return await TimeOutAsync(context, input, poll);
            }

            if (pollsThisGeneration >= schedule.PollsPerGeneration)
            {
                // Keeps history bounded on long deadlines. preserveUnprocessedEvents carries over events no waiter has
                // taken; one that already completed this generation's waiter (it arrived while the last query ran)
                // would be dropped (durabletask-dotnet #387), so it travels in the input instead.
                if (cancelRequested.IsCompletedSuccessfully)
                {
                    // An event raised without a payload (by hand, through the durable management API) still counts.
                    poll = poll with { CancelRequested = cancelRequested.Result ?? new CancelRequest(null) };
                }

                context.ContinueAsNew(input with { Poll = poll }, preserveUnprocessedEvents: true);
                return null!;
            }

            DateTime nextPollAt = Min(now + PollDelays.Next(schedule, poll.Polls), poll.DeadlineAt);
            context.SetCustomStatus(Progress(JobPhase.Polling, poll, nextPollAt));

            using (var timerCancellation = new CancellationTokenSource())
            {
                Task timer = context.CreateTimer(nextPollAt, timerCancellation.Token);
                // The cancel first: one that arrived during the last query has already completed its waiter and wins a tie.
                if (await Task.WhenAny(cancelRequested, timer) == cancelRequested)
                {
                    timerCancellation.Cancel();
                    (JobResult? canceled, poll) = await CancelOnRequestAsync(context, input, poll, log);
                    if (canceled is not null)
                    {
                        return canceled;
                    }

                    cancelRequested = context.WaitForExternalEvent<CancelRequest>(WorkflowNames.CancelEvent);
                    continue;
                }
            }

            pollsThisGeneration++;
            TaskCheck check;
            try
            {
                check = await context.CallActivityAsync<TaskCheck>(WorkflowNames.CheckVideoTask, poll.TaskId, QueryRetry(schedule));
            }
            catch (TaskFailedException ex)
            {
                // Transient faults only (permanent ones come back as data): a query that keeps failing is not the task
                // failing, so look again later; the deadline still bounds us.
                log.LogWarning("Job {JobId}: query of task {TaskId} failed: {Error}", input.JobId, poll.TaskId, ex.FailureDetails.ErrorMessage);
                poll = poll with { Polls = poll.Polls + 1 };
                continue;
            }

            if (check.Error is { } refused)
            {
                // The provider refused the query itself (key rotated, access denied, arrears): looking again cannot help.
                log.LogWarning("Job {JobId}: the provider refused the query of task {TaskId} ({Code})", input.JobId, poll.TaskId, refused.Code);
                return await FinishAsync(context, input, poll with { Polls = poll.Polls + 1 }, JobOutcome.Failed, error: refused);
            }

            poll = poll with { Polls = poll.Polls + 1, ProviderState = check.State, ProviderRawState = check.RawState };
            if (!check.State.IsTerminal())
            {
                // PENDING, RUNNING, or a state the docs do not list (PRE-PROCESSING, SUSPENDED…): the provider is at work.
                continue;
            }

            switch (check.State)
            {
                case DashScopeTaskState.Succeeded:
                    return await ArchiveAsync(context, input, poll, check);
                case DashScopeTaskState.Canceled:
                    return await FinishAsync(context, input, poll, JobOutcome.Canceled,
                        error: ProviderError(check, JobErrors.Canceled, "The provider task was canceled."));
                case DashScopeTaskState.Failed:
                    return await FinishAsync(context, input, poll, JobOutcome.Failed,
                        error: ProviderError(check, JobErrors.TaskFailed, "The provider task failed without a message."));
                default:
                    return await FinishAsync(context, input, poll, JobOutcome.Failed,
                        error: ProviderError(check, JobErrors.TaskUnknown, "The provider no longer knows the task (expired or unknown id)."));
            }
        }
    }

    /// <summary>The blob the video is archived to: one name per job, so a retried archive overwrites nothing else.</summary>
    public static string BlobNameFor(string jobId, DateTime acceptedAt) =>
        string.Create(CultureInfo.InvariantCulture, $"{acceptedAt:yyyy}/{acceptedAt:MM}/{acceptedAt:dd}/{jobId}.mp4");

    public static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    static async Task<JobResult> ArchiveAsync(TaskOrchestrationContext context, VideoJobInput input, PollState poll, TaskCheck check)
    {
        context.SetCustomStatus(Progress(JobPhase.Archiving, poll, null));
        var archiveInput = new ArchiveVideoInput(input.JobId, poll.TaskId, BlobNameFor(input.JobId, input.AcceptedAt),
            input.Job.Model, input.Job.Size, input.Job.Duration, Sha256Hex(input.Job.Prompt));
        try
        {
            ArchiveOutcome archived = await context.CallActivityAsync<ArchiveOutcome>(WorkflowNames.ArchiveVideo, archiveInput, ArchiveRetry(input.Schedule));
            return archived.Video is { } video
                ? await FinishAsync(context, input, poll, JobOutcome.Succeeded, video, check.Usage)
                : await FinishAsync(context, input, poll, JobOutcome.Failed, usage: check.Usage,
                    error: archived.Error ?? new JobError(JobErrors.ArchiveFailed, "The archive answered without a video.", JobErrorSource.Workflow));
        }
        catch (TaskFailedException ex)
        {
            return await FinishAsync(context, input, poll, JobOutcome.Failed, usage: check.Usage,
                error: new JobError(JobErrors.ArchiveFailed, ex.FailureDetails.ErrorMessage, JobErrorSource.Workflow));
        }
    }

    static async Task<JobResult> TimeOutAsync(TaskOrchestrationContext context, VideoJobInput input, PollState poll)
    {
        CancelOutcome cancel = await CancelProviderTaskAsync(context, poll.TaskId, input.Schedule);
        if (cancel.Error is { } refused)
        {
            // The provider refused the call itself (e.g. the key was rotated): that is the cause worth showing.
            return await FinishAsync(context, input, poll, JobOutcome.Failed, error: refused);
        }

        string what = cancel.Canceled
            ? "it was canceled at the provider"
            : "the provider could not cancel it (it may still finish and be billed)";
        return await FinishAsync(context, input, poll, JobOutcome.TimedOut, error: new JobError(JobErrors.DeadlineExceeded,
            $"The provider task was still {ProviderStateText(poll)} at the {input.Schedule.Deadline} deadline; {what}.",
            JobErrorSource.Workflow));
    }

    /// <summary>
    /// The caller's cancel request: the job ends Canceled when the provider cancels, or Failed when the provider refuses
    /// the call itself for good (401, 403…). When the task is no longer PENDING the refusal is noted, the returned
    /// result is null and polling goes on.
    /// </summary>
    static async Task<(JobResult? Finished, PollState Poll)> CancelOnRequestAsync(TaskOrchestrationContext context,
        VideoJobInput input, PollState poll, ILogger log)
    {
        CancelOutcome cancel = await CancelProviderTaskAsync(context, poll.TaskId, input.Schedule);
        if (cancel.Canceled)
        {
            return (await FinishAsync(context, input, poll, JobOutcome.Canceled,
                error: new JobError(JobErrors.Canceled, "The job was canceled at the caller's request.", JobErrorSource.Workflow)), poll);
        }

        if (cancel.Error is { } refused)
        {
            return (await FinishAsync(context, input, poll, JobOutcome.Failed, error: refused), poll);
        }

        // The provider cancels only PENDING tasks: a RUNNING one goes on, and so do we.
        log.LogWarning("Job {JobId}: the provider refused to cancel task {TaskId} ({Code})", input.JobId, poll.TaskId, cancel.Code);
        return (null, poll with { CancelRefused = true, CancelRequested = null });
    }

    static async Task<CancelOutcome> CancelProviderTaskAsync(TaskOrchestrationContext context, string taskId, PollingSchedule schedule)
    {
        try
        {
            return await context.CallActivityAsync<CancelOutcome>(WorkflowNames.CancelVideoTask, taskId, QueryRetry(schedule));
        }
        catch (TaskFailedException ex)
        {
            return new CancelOutcome(false, JobErrors.CancelFailed, ex.FailureDetails.ErrorMessage);
        }
    }

    static async Task<JobResult> FinishAsync(TaskOrchestrationContext context, VideoJobInput input, PollState? poll,
        JobOutcome outcome, ArchivedVideo? video = null, DashScopeUsage? usage = null, JobError? error = null)
    {
        var result = new JobResult(outcome, poll?.TaskId, video, usage,
            new JobTimings(input.AcceptedAt, poll?.SubmittedAt, context.CurrentUtcDateTime, poll?.Polls ?? 0), error);
        context.SetCustomStatus(poll is null
            ? new JobProgress(JobPhase.Finished)
            : Progress(JobPhase.Finished, poll, null));

        if (input.Job.CallbackUrl is { } callbackUrl)
        {
            try
            {
                await context.CallActivityAsync(WorkflowNames.NotifyCallback, new CallbackInput(input.JobId, callbackUrl, result),
                    TaskOptions.FromRetryPolicy(new RetryPolicy(3, input.Schedule.RetryInterval, 2.0)));
            }
            catch (TaskFailedException)
            {
                // The callback is a courtesy: the result stays available at the status endpoint.
            }
        }

        return result;
    }

    static JobProgress Progress(JobPhase phase, PollState poll, DateTime? nextPollAt) => new(
        phase, poll.TaskId, poll.ProviderState, poll.SubmittedAt, poll.Polls, nextPollAt, poll.DeadlineAt,
        poll.CancelRefused ? "Cancel was requested, but the provider task was already running and cannot be canceled." : null,
        poll.ProviderRawState);

    /// <summary>The provider's own state string (e.g. PRE-PROCESSING), or the state's name before the first look.</summary>
    static string ProviderStateText(PollState poll) => poll.ProviderRawState ?? poll.ProviderState.ToString().ToUpperInvariant();

    static JobError ProviderError(TaskCheck check, string fallbackCode, string fallbackMessage) =>
        new(check.Code ?? fallbackCode, check.Message ?? fallbackMessage, JobErrorSource.Provider);

    static DateTime Min(DateTime a, DateTime b) => a <= b ? a : b;

    // Only provider faults that are worth another try reach the retry policy: the activities return permanent ones
    // (4xx refusals) as data, so a DashScopeException that fails an activity is transient (429, 5xx, timeouts).
    // The checks compare type names: IsCausedBy<T>() searches every loaded assembly by name and throws
    // AmbiguousMatchException for types that also live in a facade (HttpRequestException), crashing the job.
    // Submit waits out throttling (5 concurrent tasks per account; "usually clears within a minute") by retrying
    // at most a minute apart, bounded by the job's deadline rather than failing a burst of jobs after a few tries.
    // A longer RetryInterval raises that cap: RetryPolicy refuses a max interval below the first one.
    // (WorkflowOptionsValidator keeps RetryInterval within the deadline, the policy's other precondition.)
    static TaskOptions SubmitRetry(PollingSchedule schedule) => TaskOptions.FromRetryPolicy(
        new RetryPolicy(schedule.SubmitAttempts, schedule.RetryInterval, 2.0, Max(TimeSpan.FromMinutes(1), schedule.RetryInterval), schedule.Deadline)
        {
            HandleFailure = IsProviderFault,
        });

    static TaskOptions QueryRetry(PollingSchedule schedule) => TaskOptions.FromRetryPolicy(
        new RetryPolicy(3, schedule.RetryInterval, 2.0)
        {
            HandleFailure = IsProviderFault,
        });

    static TaskOptions ArchiveRetry(PollingSchedule schedule) => TaskOptions.FromRetryPolicy(
        new RetryPolicy(4, schedule.RetryInterval, 2.0)
        {
            HandleFailure = failure => failure.ErrorType != typeof(ArchiveRejectedException).FullName,
        });

    static bool IsProviderFault(TaskFailureDetails failure) => failure.ErrorType == typeof(DashScopeException).FullName;

    static TimeSpan Max(TimeSpan a, TimeSpan b) => a >= b ? a : b;
}
