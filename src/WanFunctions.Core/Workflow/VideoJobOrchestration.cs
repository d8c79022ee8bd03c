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
                    error: new JobError("SubmitFailed", ex.FailureDetails.ErrorMessage, "workflow"));
            }

            if (submitted.Error is not null || submitted.TaskId is null)
            {
                return await FinishAsync(context, input, null, JobOutcome.Failed,
                    error: submitted.Error ?? new JobError("SubmitFailed", "The provider answered without a task id.", "workflow"));
            }

            log.LogInformation("Job {JobId} submitted as provider task {TaskId}", input.JobId, submitted.TaskId);
            poll = new PollState(submitted.TaskId, context.CurrentUtcDateTime, input.AcceptedAt + schedule.Deadline, 0,
                DashScopeTaskState.Pending);
        }

        // One waiter for the whole generation: a fresh waiter per loop would leave stale ones to swallow the event.
        Task<CancelRequest> cancelRequested = context.WaitForExternalEvent<CancelRequest>(WorkflowNames.CancelEvent);
        int pollsThisGeneration = 0;

        while (true)
        {
            DateTime now = context.CurrentUtcDateTime;
            if (now >= poll.DeadlineAt)
            {
                return await TimeOutAsync(context, input, poll);
            }

            if (pollsThisGeneration >= schedule.PollsPerGeneration)
            {
                // Keeps history bounded on long deadlines; a pending cancel event is carried over.
                context.ContinueAsNew(input with { Poll = poll }, preserveUnprocessedEvents: true);
                return null!;
            }

            DateTime nextPollAt = Min(now + PollDelays.Next(schedule, poll.Polls), poll.DeadlineAt);
            context.SetCustomStatus(Progress(JobPhase.Polling, poll, nextPollAt));

            using (var timerCancellation = new CancellationTokenSource())
            {
                Task timer = context.CreateTimer(nextPollAt, timerCancellation.Token);
                if (await Task.WhenAny(timer, cancelRequested) == cancelRequested)
                {
                    timerCancellation.Cancel();
                    CancelOutcome cancel = await CancelProviderTaskAsync(context, poll.TaskId, schedule);
                    if (cancel.Canceled)
                    {
                        return await FinishAsync(context, input, poll, JobOutcome.Canceled,
                            error: new JobError("Canceled", "The job was canceled at the caller's request.", "workflow"));
                    }

                    // The provider cancels only PENDING tasks: a RUNNING one goes on, and so do we.
                    log.LogWarning("Job {JobId}: the provider refused to cancel task {TaskId} ({Code})", input.JobId, poll.TaskId, cancel.Code);
                    poll = poll with { CancelRefused = true };
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
                // A query that keeps failing is not the task failing: look again later, the deadline still bounds us.
                log.LogWarning("Job {JobId}: query of task {TaskId} failed: {Error}", input.JobId, poll.TaskId, ex.FailureDetails.ErrorMessage);
                poll = poll with { Polls = poll.Polls + 1 };
                continue;
            }

            poll = poll with { Polls = poll.Polls + 1, ProviderState = check.State };
            switch (check.State)
            {
                case DashScopeTaskState.Pending or DashScopeTaskState.Running:
                    continue;
                case DashScopeTaskState.Succeeded:
                    return await ArchiveAsync(context, input, poll, check);
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
            ArchivedVideo video = await context.CallActivityAsync<ArchivedVideo>(WorkflowNames.ArchiveVideo, archiveInput, ArchiveRetry(input.Schedule));
            return await FinishAsync(context, input, poll, JobOutcome.Succeeded, video, check.Usage);
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
        string what = cancel.Canceled
            ? "it was canceled at the provider"
            : "the provider could not cancel it (it may still finish and be billed)";
        return await FinishAsync(context, input, poll, JobOutcome.TimedOut, error: new JobError("DeadlineExceeded",
            $"The provider task was still {poll.ProviderState.ToString().ToUpperInvariant()} at the {input.Schedule.Deadline} deadline; {what}.",
            "workflow"));
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
        poll.CancelRefused ? "Cancel was requested, but the provider task was already running and cannot be canceled." : null);

    static JobError ProviderError(TaskCheck check, string fallbackCode, string fallbackMessage) =>
        new(check.Code ?? fallbackCode, check.Message ?? fallbackMessage, "provider");

    static DateTime Min(DateTime a, DateTime b) => a <= b ? a : b;

    // Only provider faults that are worth another try reach the retry policy: permanent ones come back as data.
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
