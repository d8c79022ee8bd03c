using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using WanFunctions.Capacity;
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
        // One waiter for the whole generation (queue and polling): a fresh waiter per loop would leave stale ones to swallow the event.
        Task<CancelRequest>? cancelRequested = input.Gate is not null && poll is null
            ? context.WaitForExternalEvent<CancelRequest>(WorkflowNames.CancelEvent)
            : null;
        DateTime? renewLeaseAt = null;

        if (poll is null)
        {
            SubmitOutcome submitted;
            while (true)
            {
                if (input.Gate is { } ticket)
                {
                    SlotWaitResult slot;
                    try
                    {
                        slot = await CapacityStep.WaitForSlotAsync(context, input.JobId, ticket, cancelRequested!, GateRetry(schedule));
                    }
                    catch (TaskFailedException ex)
                    {
                        return await FinishAsync(context, input, null, JobOutcome.Failed, error: new JobError("GateUnavailable",
                            $"The capacity gate could not be reached, so nothing was submitted: {ex.FailureDetails.ErrorMessage}", "workflow"));
                    }

                    input = input with { Gate = slot.Ticket };
                    switch (slot.Outcome)
                    {
                        case SlotWait.ContinueAsNew:
                            // Keeps history bounded on long waits; a cancel that completed the waiter was handled above.
                            context.ContinueAsNew(input, preserveUnprocessedEvents: true);
                            return null!;
                        case SlotWait.Canceled:
                            return await FinishAsync(context, input, null, JobOutcome.Canceled, error: new JobError("Canceled",
                                "The job was canceled at the caller's request while it waited for a slot; nothing was submitted.", "workflow"));
                        case SlotWait.QueueTimeout:
                            return await FinishAsync(context, input, null, JobOutcome.TimedOut, error: new JobError("QueueTimeout",
                                $"No slot of the provider account '{ticket.Account}' became free within the {ticket.MaxQueueTime} queue limit "
                                + "(Workflow:MaxQueueTime); nothing was submitted.", "workflow"));
                    }

                    renewLeaseAt = slot.LeaseUntil is { } leaseUntil ? CapacityStep.HalfWay(context.CurrentUtcDateTime, leaseUntil) : null;
                }

                context.SetCustomStatus(new JobProgress(JobPhase.Submitting));
                try
                {
                    submitted = await context.CallActivityAsync<SubmitOutcome>(WorkflowNames.SubmitVideoTask,
                        new SubmitVideoTaskInput(input.JobId, input.Job, ReturnThrottled: input.Gate is not null), SubmitRetry(schedule));
                }
                catch (TaskFailedException ex)
                {
                    return await FinishAsync(context, input, null, JobOutcome.Failed,
                        error: new JobError("SubmitFailed", ex.FailureDetails.ErrorMessage, "workflow"));
                }

                if (!submitted.Throttled || input.Gate is not { } throttled)
                {
                    break;
                }

                // A 429 despite the gate (another client shares the account): lower the limit and wait again, no hammering.
                try
                {
                    await CapacityStep.ReportThrottledAsync(context, input.JobId, throttled, GateRetry(schedule));
                }
                catch (TaskFailedException ex)
                {
                    log.LogWarning("Job {JobId}: the throttled submit could not be reported: {Error}", input.JobId, ex.FailureDetails.ErrorMessage);
                }
            }

            if (submitted.Error is not null || submitted.TaskId is null)
            {
                return await FinishAsync(context, input, null, JobOutcome.Failed,
                    error: submitted.Error ?? new JobError("SubmitFailed", "The provider answered without a task id.", "workflow"));
            }

            log.LogInformation("Job {JobId} submitted as provider task {TaskId}", input.JobId, submitted.TaskId);
            // Behind the gate the wait for a slot has its own bound (MaxQueueTime), so the generation deadline counts from
            // the provider's acceptance of the task; without it, from the POST (it then also bounds the submit's 429 retries).
            DateTime submittedAt = context.CurrentUtcDateTime;
            poll = new PollState(submitted.TaskId, submittedAt, (input.Gate is null ? input.AcceptedAt : submittedAt) + schedule.Deadline, 0,
                DashScopeTaskState.Pending);
        }

        cancelRequested ??= context.WaitForExternalEvent<CancelRequest>(WorkflowNames.CancelEvent);
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
                if (input.Gate is { } holding)
                {
                    renewLeaseAt = await CapacityStep.RenewIfDueAsync(context, input.JobId, holding, renewLeaseAt, GateRetry(schedule));
                }

                continue;
            }

            switch (check.State)
            {
                case DashScopeTaskState.Succeeded:
                    if (input.Gate is { } done)
                    {
                        // The provider task has ended: its slot is free for the next job while this one archives.
                        await CapacityStep.ReleaseAsync(context, input.JobId, done, GateRetry(schedule));
                    }

                    return await ArchiveAsync(context, input with { Gate = null }, poll, check);
                case DashScopeTaskState.Canceled:
                    return await FinishAsync(context, input, poll, JobOutcome.Canceled,
                        error: ProviderError(check, "Canceled", "The provider task was canceled."));
                case DashScopeTaskState.Failed:
                    return await FinishAsync(context, input, poll, JobOutcome.Failed,
                        error: ProviderError(check, "TaskFailed", "The provider task failed without a message."));
                default:
                    return await FinishAsync(context, input, poll, JobOutcome.Failed,
                        error: ProviderError(check, "TaskUnknown", "The provider no longer knows the task (expired or unknown id)."));
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
                    error: archived.Error ?? new JobError("ArchiveFailed", "The archive answered without a video.", "workflow"));
        }
        catch (TaskFailedException ex)
        {
            return await FinishAsync(context, input, poll, JobOutcome.Failed, usage: check.Usage,
                error: new JobError("ArchiveFailed", ex.FailureDetails.ErrorMessage, "workflow"));
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
        return await FinishAsync(context, input, poll, JobOutcome.TimedOut, error: new JobError("DeadlineExceeded",
            $"The provider task was still {ProviderStateText(poll)} at the {input.Schedule.Deadline} deadline; {what}.",
            "workflow"));
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
                error: new JobError("Canceled", "The job was canceled at the caller's request.", "workflow")), poll);
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
            return new CancelOutcome(false, "CancelFailed", ex.FailureDetails.ErrorMessage);
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
        if (input.Gate is { } ticket)
        {
            // Every ending gives the slot (or the queue place) back; a second release is harmless.
            await CapacityStep.ReleaseAsync(context, input.JobId, ticket, GateRetry(input.Schedule));
        }

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
        new(check.Code ?? fallbackCode, check.Message ?? fallbackMessage, "provider");

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

    // The gate's activities fail only on storage trouble (or a long ETag race): a few tries, then the job's own handling.
    static TaskOptions GateRetry(PollingSchedule schedule) => TaskOptions.FromRetryPolicy(new RetryPolicy(5, schedule.RetryInterval, 2.0));

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
