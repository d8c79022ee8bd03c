using System.Globalization;
using Azure;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using WanFunctions.Capacity;
using WanFunctions.DashScope;
using WanFunctions.Telemetry;

namespace WanFunctions.Workflow;

/// <summary>
/// The job's orchestration (durable name <see cref="WorkflowNames.Orchestrator"/>): wait for a slot of the account (the
/// capacity gate, when it is on) → submit → wait for the provider task
/// on durable timers (hearing a cancel, stopping at the deadline) → archive → finish → notify the callback.
/// Deterministic: time comes only from <see cref="TaskOrchestrationContext.CurrentUtcDateTime"/>, all I/O is in
/// activities, and the schedule travels in the input. Both hosts run it: the local host registers the class
/// (<see cref="WorkflowRegistry"/>), the Functions app calls it from its <c>[OrchestrationTrigger]</c> function.
/// </summary>
public sealed partial class VideoJobOrchestration : TaskOrchestrator<VideoJobInput, JobResult>
{
    /// <summary>
    /// Runs one generation of the job. Returns the job's result, or null when the generation continued as new
    /// (after <see cref="PollingSchedule.PollsPerGeneration"/> polls; the next generation returns the result).
    /// </summary>
    /// <exception cref="InvalidOperationException">The orchestration was started without an input.</exception>
    public override async Task<JobResult> RunAsync(TaskOrchestrationContext context, VideoJobInput input)
    {
        if (input is null)
        {
            throw new InvalidOperationException("The orchestration was started without a job.");
        }

        // One cancel waiter for the whole generation (queue and polling): a fresh waiter per step would leave stale ones
        // to swallow the event. Made here when the job queues first, else when polling starts.
        var cancelRequested = input.Gate is not null && input.Poll is null
            ? context.WaitForExternalEvent<CancelRequest>(WorkflowNames.CancelEvent)
            : null;

        // A later generation (after ContinueAsNew) finds the provider task in its input: the job submits once.
        Stage stage;
        (stage, input) = input.Poll is { } carried
            ? (new Stage.Polling(carried), input)
            : await QueueAndSubmitAsync(context, input, cancelRequested);
        if (stage is Stage.Polling polling)
        {
            stage = await WaitForTaskAsync(context, input, polling, cancelRequested);
        }

        if (stage is Stage.Succeeded succeeded)
        {
            // The provider task has ended: its slot goes to the next job while this one archives, and the run is recorded
            // for the learned schedule alongside (all in one step: neither the archive nor the next job waits for the sample).
            // The sample first: the same activity ids as when it was awaited before the others, so a job in flight across
            // the upgrade replays its history unchanged.
            var recorded = input.Schedule.Learned ? RecordRunAsync(context, input, succeeded) : Task.CompletedTask;
            var released = ReleaseSlotAsync(context, input);
            stage = await ArchiveAsync(context, input, succeeded);
            await recorded;
            input = await released;
        }

        if (stage is not Stage.Ended ended)
        {
            return null!; // continued as new: the next generation goes on with the job
        }

        // Every ending gives the slot (or the queue place) back; a second release is harmless.
        input = await ReleaseSlotAsync(context, input);
        var result = Finish(context, input, ended);
        if (!context.IsReplaying)
        {
            WorkflowTelemetry.RecordJobEnd(input, result); // once: a replay of this step records nothing
        }

        await NotifyAsync(context, input, result);
        return result;
    }

    /// <summary>The blob the video is archived to: one name per job, so a retried archive overwrites nothing else.</summary>
    public static string BlobNameFor(string jobId, DateTime acceptedAt) =>
        string.Create(CultureInfo.InvariantCulture, $"{acceptedAt:yyyy}/{acceptedAt:MM}/{acceptedAt:dd}/{jobId}.mp4");

    /// <summary>Where the job stands between two steps.</summary>
    private abstract record Stage
    {
        /// <summary>
        /// The provider task exists and is at work: look at it again. <see cref="RenewLeaseAt"/>: when the slot's lease
        /// (from the grant) is half gone; null renews at the first look.
        /// </summary>
        public sealed record Polling(PollState Poll, DateTime? RenewLeaseAt = null) : Stage;

        /// <summary>The provider task SUCCEEDED: archive its video.</summary>
        public sealed record Succeeded(PollState Poll, TaskCheck Check) : Stage;

        /// <summary>This generation handed the job to the next one (ContinueAsNew).</summary>
        public sealed record ContinuedAsNew : Stage;

        /// <summary>The job is over. <see cref="Poll"/> is null when no provider task was created.</summary>
        public sealed record Ended(JobOutcome Outcome, PollState? Poll, JobError? Error = null,
            ArchivedVideo? Video = null, DashScopeUsage? Usage = null) : Stage;
    }

    /// <summary>
    /// Queue and submit: behind the gate, wait for a slot of the account, then submit; a 429 despite the gate (another
    /// client shares the account) lowers the account's limit and the job waits again instead of hammering. The answer
    /// is the provider task to poll, or the job's end when none was created (or its outcome is unknown); the input comes
    /// back with the job's gate ticket as it now stands.
    /// </summary>
    private static async Task<(Stage, VideoJobInput)> QueueAndSubmitAsync(TaskOrchestrationContext context, VideoJobInput input,
        Task<CancelRequest>? cancelRequested)
    {
        // Each round is one submit: a 429 sends the job back to the queue, at most SubmitAttempts times.
        SlotWaitResult? grant = null;
        for (var attempt = 1; attempt <= input.Schedule.SubmitAttempts; attempt++)
        {
            if (input.Gate is { } ticket)
            {
                (var queued, input, grant) = await WaitForSlotAsync(context, input, ticket, cancelRequested!);
                if (queued is not null)
                {
                    return (queued, input);
                }
            }

            context.SetCustomStatus(new JobProgress(JobPhase.Submitting));
            var sentAt = context.CurrentUtcDateTime;
            SubmitOutcome submitted;
            try
            {
                // The gate's grant names the account; without the gate the activity picks one that serves the job.
                submitted = await context.CallActivityAsync<SubmitOutcome>(WorkflowNames.SubmitVideoTask,
                    new SubmitVideoTaskInput(input.JobId, input.Job, ReturnThrottled: input.Gate is not null || input.MaxQueueTime is not null,
                        Account: input.Gate?.Account, NotBefore: grant?.SubmitAt), SubmitRetry(input.Schedule));
            }
            catch (TaskFailedException ex)
            {
                return (new Stage.Ended(JobOutcome.Failed, null,
                    new JobError(JobErrors.SubmitFailed, ex.FailureDetails.ErrorMessage, JobErrorSource.Workflow)), input);
            }

            if (submitted.Throttled)
            {
                if (input.Gate is { } throttled)
                {
                    await ReportThrottledAsync(context, input, throttled);
                    continue;
                }

                if (await BackOffAsync(context, input, attempt) is { } queueTimeout)
                {
                    return (queueTimeout, input);
                }

                continue;
            }

            if (submitted.Error is not null || submitted.TaskId is not { } taskId)
            {
                return (new Stage.Ended(JobOutcome.Failed, null,
                    submitted.Error ?? new JobError(JobErrors.SubmitFailed, "The provider answered without a task id.", JobErrorSource.Workflow)), input);
            }

            // The replay-safe logger must come from the context at the call (DURABLE0010), and creating it is cheap.
#pragma warning disable CA1873
            LogSubmitted(Log(context), input.JobId, taskId);
#pragma warning restore CA1873
            // The generation deadline counts from the provider's acceptance of the task: the wait before it has its own
            // bound (Workflow:MaxQueueTime), behind the gate and without it. A job started before MaxQueueTime was copied
            // into its input (gate off) keeps the rule it started with: from the POST, which also bounded its 429 retries.
            // From the activity's answer when it has one: the first look is planned for the video's end, and counting from
            // when the orchestration hears of the task (after the ledger write and a queue hop) would place it late.
            // Held between the submit's scheduling and now, should the activity's clock differ from this worker's.
            var submittedAt = submitted.SubmittedAt is { } answeredAt
                ? (answeredAt < sentAt ? sentAt : answeredAt > context.CurrentUtcDateTime ? context.CurrentUtcDateTime : answeredAt)
                : context.CurrentUtcDateTime;
            var deadlineFrom = input.Gate is null && input.MaxQueueTime is null ? input.AcceptedAt : submittedAt;
            var account = submitted.Account ?? input.Gate?.Account;
            // The grant's lease is fresh: the first renewal is due when half of it has gone, not at the first poll.
            var renewLeaseAt = grant?.LeaseUntil is { } until ? CapacityStep.HalfWay(submittedAt, until) : (DateTime?)null;
            return (new Stage.Polling(new PollState(taskId, submittedAt, deadlineFrom + input.Schedule.Deadline, 0, DashScopeTaskState.Pending,
                Account: account), renewLeaseAt), input);
        }

        return (new Stage.Ended(JobOutcome.Failed, null, new JobError(JobErrors.SubmitFailed,
            $"The provider throttled all {input.Schedule.SubmitAttempts} submits (Workflow:SubmitAttempts)"
            + (input.Gate is null ? "" : " although the capacity gate admitted each one: another client may be using the account's quota")
            + ". Nothing was created.", JobErrorSource.Workflow)), input);
    }

    /// <summary>
    /// Without the gate, a throttled submit waits (<see cref="PollingSchedule.RetryInterval"/> doubling, at most a minute
    /// or the interval) and tries again; null to go on, or the job's end (<c>QueueTimeout</c>) when the wait would pass
    /// <see cref="VideoJobInput.MaxQueueTime"/> from the POST.
    /// </summary>
    private static async Task<Stage?> BackOffAsync(TaskOrchestrationContext context, VideoJobInput input, int attempt)
    {
        var schedule = input.Schedule;
        var cap = Max(TimeSpan.FromMinutes(1), schedule.RetryInterval);
        var delay = TimeSpan.FromTicks((long)Math.Min(cap.Ticks, schedule.RetryInterval.Ticks * Math.Pow(2, attempt - 1)));
        var limit = input.MaxQueueTime!.Value; // set whenever a 429 comes back as data without the gate
        var retryAt = context.CurrentUtcDateTime + delay;
        if (attempt >= schedule.SubmitAttempts)
        {
            return null; // the loop ends with SubmitFailed, naming Workflow:SubmitAttempts
        }

        if (retryAt > input.AcceptedAt + limit)
        {
            return new Stage.Ended(JobOutcome.TimedOut, null, new JobError(JobErrors.QueueTimeout,
                $"The provider kept throttling the submit (its account's tasks or submit rate are at their limit) and the {limit} queue limit "
                + "(Workflow:MaxQueueTime) has passed; nothing was submitted.", JobErrorSource.Workflow));
        }

        await context.CreateTimer(retryAt, CancellationToken.None);
        return null;
    }

    /// <summary>
    /// Wait for a slot of the account: null when it is granted (the job may submit; with the grant: its lease end and the
    /// moment its submit is spaced to), or the generation's end: continued as new (a long wait keeps its history short),
    /// canceled while queued, or the queue limit passed. Nothing is submitted in any of these.
    /// </summary>
    private static async Task<(Stage?, VideoJobInput, SlotWaitResult? Grant)> WaitForSlotAsync(TaskOrchestrationContext context, VideoJobInput input,
        GateTicket ticket, Task<CancelRequest> cancelRequested)
    {
        SlotWaitResult slot;
        try
        {
            slot = await CapacityStep.WaitForSlotAsync(context, input.JobId, ticket, cancelRequested, GateRetry(input.Schedule));
        }
        catch (TaskFailedException ex)
        {
            return (new Stage.Ended(JobOutcome.Failed, null, new JobError(JobErrors.GateUnavailable,
                $"The capacity gate could not be reached, so nothing was submitted: {ex.FailureDetails.ErrorMessage}", JobErrorSource.Workflow)), input, null);
        }

        input = input with { Gate = slot.Ticket };
        switch (slot.Outcome)
        {
            case SlotWait.ContinueAsNew:
                // A cancel that completed the waiter was handled by the wait itself.
                context.ContinueAsNew(input, preserveUnprocessedEvents: true);
                return (new Stage.ContinuedAsNew(), input, null);
            case SlotWait.Canceled:
                return (new Stage.Ended(JobOutcome.Canceled, null, new JobError(JobErrors.Canceled,
                    "The job was canceled at the caller's request while it waited for a slot; nothing was submitted.", JobErrorSource.Workflow)), input, null);
            case SlotWait.QueueTimeout:
                return (new Stage.Ended(JobOutcome.TimedOut, null, new JobError(JobErrors.QueueTimeout,
                    $"No slot of the provider account '{slot.Ticket.Account}' became free within the {ticket.MaxQueueTime} queue limit "
                    + "(Workflow:MaxQueueTime); nothing was submitted.", JobErrorSource.Workflow)), input, null);
            default:
                return (null, input, slot);
        }
    }

    private static async Task ReportThrottledAsync(TaskOrchestrationContext context, VideoJobInput input, GateTicket ticket)
    {
        try
        {
            await CapacityStep.ReportThrottledAsync(context, input.JobId, ticket, GateRetry(input.Schedule));
        }
        catch (TaskFailedException ex)
        {
            LogThrottleNotReported(Log(context), input.JobId, ex.FailureDetails.ErrorMessage);
        }
    }

    /// <summary>Give the job's slot (or queue place) back, once; the input comes back without its gate ticket.</summary>
    private static async Task<VideoJobInput> ReleaseSlotAsync(TaskOrchestrationContext context, VideoJobInput input)
    {
        if (input.Gate is not { } ticket)
        {
            return input;
        }

        await CapacityStep.ReleaseAsync(context, input.JobId, ticket, GateRetry(input.Schedule));
        return input with { Gate = null };
    }

    /// <summary>
    /// Wait for the task: look at it on durable timers until it reaches a final state, the caller cancels or the deadline
    /// passes; after <see cref="PollingSchedule.PollsPerGeneration"/> looks, hand over to a new generation.
    /// </summary>
    private static async Task<Stage> WaitForTaskAsync(TaskOrchestrationContext context, VideoJobInput input, Stage.Polling polling,
        Task<CancelRequest>? cancelRequested)
    {
        // The generation's waiter is renewed only after a refused cancel, so a second request is heard.
        cancelRequested ??= context.WaitForExternalEvent<CancelRequest>(WorkflowNames.CancelEvent);
        (var poll, var renewLeaseAt) = polling;
        if (poll.CancelRequested is not null)
        {
            // Carried over from the previous generation (see ContinueAsNew): handled before anything else.
            var afterCancel = await HandleCancelAsync(context, input, poll);
            if (afterCancel is not Stage.Polling goOn)
            {
                return afterCancel;
            }

            poll = goOn.Poll;
        }

        if (input.Schedule.Learned && poll.Plan is null)
        {
            // Fixed once here and carried in the input across ContinueAsNew: replays see the same schedule.
            poll = poll with { Plan = await GetPollPlanAsync(context, input) };
        }

        var generationEnd = poll.Polls + input.Schedule.PollsPerGeneration;
        while (context.CurrentUtcDateTime < poll.DeadlineAt && poll.Polls < generationEnd)
        {
            var nextPollAt = Min(PollSchedule.NextPollAt(input.Schedule, poll.Plan, context.CurrentUtcDateTime, poll.Polls,
                poll.RunStartedAt, poll.NotRunningAt ?? poll.SubmittedAt, poll.SubmittedAt), poll.DeadlineAt);
            if (input.Gate is { Account: not null } && renewLeaseAt is { } renewAt)
            {
                // The look is what renews the slot's lease: a long first look (a slow class's learned plan) comes no later
                // than the renewal is due, or the lease would run out and the gate give the slot to another job.
                nextPollAt = Min(nextPollAt, renewAt);
            }

            context.SetCustomStatus(Progress(JobPhase.Polling, poll, nextPollAt));
            var cancelFirst = await CancelBeforeAsync(context, cancelRequested, nextPollAt);
            var next = cancelFirst ? await HandleCancelAsync(context, input, poll) : await CheckTaskAsync(context, input, poll, nextPollAt);
            if (next is not Stage.Polling goOn)
            {
                return next;
            }

            poll = goOn.Poll;
            if (input.Gate is { } holding)
            {
                // The task is still at work: keep the slot's lease alive (a job that is gone loses it after the lease).
                renewLeaseAt = await CapacityStep.RenewIfDueAsync(context, input.JobId, holding, renewLeaseAt, GateRetry(input.Schedule));
            }

            if (cancelFirst)
            {
                // Refused (the task is no longer PENDING): a fresh waiter, so a second cancel request is heard.
                cancelRequested = context.WaitForExternalEvent<CancelRequest>(WorkflowNames.CancelEvent);
            }
        }

        return context.CurrentUtcDateTime >= poll.DeadlineAt
            ? await TimeOutAsync(context, input, poll)
            : ContinueAsNew(context, input, poll, cancelRequested);
    }

    /// <summary>True when the cancel event came before the timer (which is then canceled); false when the timer fired.</summary>
    private static async Task<bool> CancelBeforeAsync(TaskOrchestrationContext context, Task<CancelRequest> cancelRequested, DateTime fireAt)
    {
        using var timerCancellation = new CancellationTokenSource();
        var timer = context.CreateTimer(fireAt, timerCancellation.Token);
        // The cancel first: one that arrived during the last query has already completed its waiter and wins a tie.
        if (await Task.WhenAny(cancelRequested, timer) != cancelRequested)
        {
            return false;
        }

        timerCancellation.Cancel();
        return true;
    }

    /// <summary>The class's learned plan; today's schedule when the table cannot be read (learning is an optimisation).</summary>
    private static async Task<PollPlan> GetPollPlanAsync(TaskOrchestrationContext context, VideoJobInput input)
    {
        var classKey = PollClass.Of(input.Job);
        try
        {
            return await context.CallActivityAsync<PollPlan>(WorkflowNames.GetPollPlan, classKey) ?? PollPlan.Fallback(classKey);
        }
        catch (TaskFailedException ex)
        {
            LogPollPlanUnavailable(Log(context), input.JobId, ex.FailureDetails.ErrorMessage);
            return PollPlan.Fallback(classKey);
        }
    }

    /// <summary>
    /// Teach the class's table the run just seen: the provider's <c>end_time − scheduled_time</c> (<c>submit_time</c> when
    /// it reports no start), and the whole wait <c>end_time − submit_time</c>. A run the provider timed incompletely
    /// teaches nothing; a failed write only costs a sample.
    /// </summary>
    private static async Task RecordRunAsync(TaskOrchestrationContext context, VideoJobInput input, Stage.Succeeded succeeded)
    {
        var check = succeeded.Check;
        if (check.EndTime is not { } end || (check.ScheduledTime ?? check.SubmitTime) is not { } start || end <= start)
        {
            return;
        }

        try
        {
            await context.CallActivityAsync(WorkflowNames.RecordPollSample,
                new PollSampleInput(PollClass.Of(input.Job), succeeded.Poll.TaskId, (end - start).TotalSeconds,
                    check.SubmitTime is { } submitted && submitted <= start ? (end - submitted).TotalSeconds : null));
        }
        catch (TaskFailedException ex)
        {
            LogPollSampleLost(Log(context), input.JobId, ex.FailureDetails.ErrorMessage);
        }
    }

    /// <summary>
    /// One look at the provider task, planned for <paramref name="plannedAt"/> (the activity waits for it if the timer
    /// fired early): Polling while it is at work, Succeeded, or the job's end.
    /// </summary>
    private static async Task<Stage> CheckTaskAsync(TaskOrchestrationContext context, VideoJobInput input, PollState poll, DateTime plannedAt)
    {
        // The timer fired before the query was sent: a PENDING answer means the task had not started by this instant.
        var lookedAt = context.CurrentUtcDateTime;
        TaskCheck check;
        try
        {
            // Behind the gate the query that finds the task final gives the slot back itself: the next job is woken
            // one orchestrator step sooner. The release after the job's end stays, as a no-op (release is by job id).
            var task = (input.Gate is { Account: not null } holding ? poll.Task with { ReleaseWhenFinal = holding.RequestFor(input.JobId) } : poll.Task)
                with { NotBefore = plannedAt };
            check = await context.CallActivityAsync<TaskCheck>(WorkflowNames.CheckVideoTask, task, QueryRetry(input.Schedule));
        }
        catch (TaskFailedException ex)
        {
            // Transient faults only (permanent ones come back as data): a query that keeps failing is not the task
            // failing, so look again later; the deadline still bounds us.
            LogQueryFailed(Log(context), input.JobId, poll.TaskId, ex.FailureDetails.ErrorMessage);
            return new Stage.Polling(poll with { Polls = poll.Polls + 1 });
        }

        if (check.Error is { } refused)
        {
            // The provider refused the query itself (key rotated, access denied, arrears): looking again cannot help.
            LogQueryRefused(Log(context), input.JobId, poll.TaskId, refused.Code);
            return new Stage.Ended(JobOutcome.Failed, poll with { Polls = poll.Polls + 1 }, refused);
        }

        poll = poll with { Polls = poll.Polls + 1, ProviderState = check.State, ProviderRawState = check.RawState };
        if (!check.State.IsTerminal())
        {
            // PENDING, RUNNING, or a state the docs do not list (PRE-PROCESSING, SUSPENDED…): the provider is at work.
            return new Stage.Polling(input.Schedule.Learned ? ObserveStart(poll, check, lookedAt) : poll);
        }

        return check.State switch
        {
            DashScopeTaskState.Succeeded => new Stage.Succeeded(poll, check),
            DashScopeTaskState.Canceled => new Stage.Ended(JobOutcome.Canceled, poll,
                ProviderError(check, JobErrors.Canceled, "The provider task was canceled.")),
            DashScopeTaskState.Failed => new Stage.Ended(JobOutcome.Failed, poll,
                ProviderError(check, JobErrors.TaskFailed, "The provider task failed without a message.")),
            _ => new Stage.Ended(JobOutcome.Failed, poll,
                ProviderError(check, JobErrors.TaskUnknown, "The provider no longer knows the task (expired or unknown id).")),
        };
    }

    /// <summary>What a look at a task still at work tells about when it started running (<see cref="PollSchedule.ObserveStart"/>).</summary>
    private static PollState ObserveStart(PollState poll, TaskCheck check, DateTime lookedAt)
    {
        (var runStartedAt, var notRunningAt) = PollSchedule.ObserveStart(poll.RunStartedAt, poll.NotRunningAt ?? poll.SubmittedAt,
            check.State == DashScopeTaskState.Pending, check.ScheduledTime, lookedAt);
        return poll with { RunStartedAt = runStartedAt, NotRunningAt = notRunningAt };
    }

    /// <summary>
    /// Handle the caller's cancel request: the job ends Canceled when the provider cancels, or Failed when the provider
    /// refuses the call itself for good (401, 403…). When the task is no longer PENDING the refusal is noted and polling
    /// goes on.
    /// </summary>
    private static async Task<Stage> HandleCancelAsync(TaskOrchestrationContext context, VideoJobInput input, PollState poll)
    {
        var cancel = await CancelProviderTaskAsync(context, poll.Task, input.Schedule);
        if (cancel.Canceled)
        {
            return new Stage.Ended(JobOutcome.Canceled, poll,
                new JobError(JobErrors.Canceled, "The job was canceled at the caller's request.", JobErrorSource.Workflow));
        }

        if (cancel.Error is { } refused)
        {
            return new Stage.Ended(JobOutcome.Failed, poll, refused);
        }

        // The provider cancels only PENDING tasks: a RUNNING one goes on, and so do we.
        LogCancelRefused(Log(context), input.JobId, poll.TaskId, cancel.Code);
        return new Stage.Polling(poll with { CancelRefused = true, CancelRequested = null });
    }

    /// <summary>The deadline passed: cancel the provider task if it is still PENDING, and end the job TimedOut.</summary>
    private static async Task<Stage> TimeOutAsync(TaskOrchestrationContext context, VideoJobInput input, PollState poll)
    {
        var cancel = await CancelProviderTaskAsync(context, poll.Task, input.Schedule);
        if (cancel.Error is { } refused)
        {
            // The provider refused the call itself (e.g. the key was rotated): that is the cause worth showing.
            return new Stage.Ended(JobOutcome.Failed, poll, refused);
        }

        var what = cancel.Canceled
            ? "it was canceled at the provider"
            : "the provider could not cancel it (it may still finish and be billed)";
        return new Stage.Ended(JobOutcome.TimedOut, poll, new JobError(JobErrors.DeadlineExceeded,
            $"The provider task was still {ProviderStateText(poll)} at the {input.Schedule.Deadline} deadline; {what}.",
            JobErrorSource.Workflow));
    }

    /// <summary>
    /// Keeps history bounded on long deadlines. preserveUnprocessedEvents carries over events no waiter has taken; one
    /// that already completed this generation's waiter (it arrived while the last query ran) would be dropped
    /// (durabletask-dotnet #387), so it travels in the input instead.
    /// </summary>
    private static Stage.ContinuedAsNew ContinueAsNew(TaskOrchestrationContext context, VideoJobInput input, PollState poll, Task<CancelRequest> cancelRequested)
    {
        if (cancelRequested.IsCompletedSuccessfully)
        {
            // An event raised without a payload (by hand, through the durable management API) still counts.
            poll = poll with { CancelRequested = cancelRequested.Result ?? new CancelRequest(null) };
        }

        context.ContinueAsNew(input with { Poll = poll }, preserveUnprocessedEvents: true);
        return new Stage.ContinuedAsNew();
    }

    private static async Task<CancelOutcome> CancelProviderTaskAsync(TaskOrchestrationContext context, ProviderTaskRef task, PollingSchedule schedule)
    {
        try
        {
            return await context.CallActivityAsync<CancelOutcome>(WorkflowNames.CancelVideoTask, task, QueryRetry(schedule));
        }
        catch (TaskFailedException ex)
        {
            return new CancelOutcome(false, JobErrors.CancelFailed, ex.FailureDetails.ErrorMessage);
        }
    }

    /// <summary>Archive the SUCCEEDED task's video; the job ends Succeeded, or Failed with the provider's usage kept.</summary>
    private static async Task<Stage> ArchiveAsync(TaskOrchestrationContext context, VideoJobInput input, Stage.Succeeded succeeded)
    {
        (var poll, var check) = succeeded;
        context.SetCustomStatus(Progress(JobPhase.Archiving, poll, null));
        var archiveInput = new ArchiveVideoInput(input.JobId, poll.TaskId, BlobNameFor(input.JobId, input.AcceptedAt),
            input.Job.Model, input.Job.Size, input.Job.Duration, Hashing.Sha256Hex(input.Job.Prompt), poll.Account);
        try
        {
            var archived = await context.CallActivityAsync<ArchiveOutcome>(WorkflowNames.ArchiveVideo, archiveInput, ArchiveRetry(input.Schedule));
            return archived.Video is { } video
                ? new Stage.Ended(JobOutcome.Succeeded, poll, Video: video, Usage: check.Usage)
                : new Stage.Ended(JobOutcome.Failed, poll, Usage: check.Usage,
                    Error: archived.Error ?? new JobError(JobErrors.ArchiveFailed, "The archive answered without a video.", JobErrorSource.Workflow));
        }
        catch (TaskFailedException ex)
        {
            return new Stage.Ended(JobOutcome.Failed, poll, Usage: check.Usage,
                Error: new JobError(JobErrors.ArchiveFailed, ex.FailureDetails.ErrorMessage, JobErrorSource.Workflow));
        }
    }

    /// <summary>Finish: the job's result, timed now, and the last custom status.</summary>
    private static JobResult Finish(TaskOrchestrationContext context, VideoJobInput input, Stage.Ended end)
    {
        var poll = end.Poll;
        context.SetCustomStatus(poll is null
            ? new JobProgress(JobPhase.Finished)
            : Progress(JobPhase.Finished, poll, null));
        return new JobResult(end.Outcome, poll?.TaskId, end.Video, end.Usage,
            new JobTimings(input.AcceptedAt, poll?.SubmittedAt, context.CurrentUtcDateTime, poll?.Polls ?? 0), end.Error);
    }

    /// <summary>Notify: POST the result to the job's callback URL, if it has one.</summary>
    private static async Task NotifyAsync(TaskOrchestrationContext context, VideoJobInput input, JobResult result)
    {
        if (input.Job.CallbackUrl is not { } callbackUrl)
        {
            return;
        }

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

    private static ILogger Log(TaskOrchestrationContext context) => context.CreateReplaySafeLogger<VideoJobOrchestration>();

    private static JobProgress Progress(JobPhase phase, PollState poll, DateTime? nextPollAt) => new(
        phase, poll.TaskId, poll.ProviderState, poll.SubmittedAt, poll.Polls, nextPollAt, poll.DeadlineAt,
        poll.CancelRefused ? "Cancel was requested, but the provider task was already running and cannot be canceled." : null,
        poll.ProviderRawState);

    /// <summary>The provider's own state string (e.g. PRE-PROCESSING), or the state's name before the first look.</summary>
    private static string ProviderStateText(PollState poll) => poll.ProviderRawState ?? poll.ProviderState.ToString().ToUpperInvariant();

    private static JobError ProviderError(TaskCheck check, string fallbackCode, string fallbackMessage) =>
        new(check.Code ?? fallbackCode, check.Message ?? fallbackMessage, JobErrorSource.Provider);

    private static DateTime Min(DateTime a, DateTime b) => a <= b ? a : b;

    // Only provider faults that are worth another try reach the retry policy: the activities return permanent ones
    // (4xx refusals) as data, so a DashScopeException that fails an activity is transient (429, 5xx, timeouts).
    // The checks compare type names: IsCausedBy<T>() searches every loaded assembly by name and throws
    // AmbiguousMatchException for types that also live in a facade (HttpRequestException), crashing the job.
    // Submit waits out throttling (5 concurrent tasks per account; "usually clears within a minute") by retrying
    // at most a minute apart, bounded by the job's deadline rather than failing a burst of jobs after a few tries.
    // A longer RetryInterval raises that cap: RetryPolicy refuses a max interval below the first one.
    // (WorkflowOptionsValidator keeps RetryInterval within the deadline, the policy's other precondition.)
    private static TaskOptions SubmitRetry(PollingSchedule schedule) => TaskOptions.FromRetryPolicy(
        new RetryPolicy(schedule.SubmitAttempts, schedule.RetryInterval, 2.0, Max(TimeSpan.FromMinutes(1), schedule.RetryInterval), schedule.Deadline)
        {
            HandleFailure = failure => IsProviderFault(failure) || IsInterruptedSubmit(failure),
        });

    // The gate's activities fail only on storage trouble (or a long ETag race): a few tries, then the job's own handling.
    private static TaskOptions GateRetry(PollingSchedule schedule) => TaskOptions.FromRetryPolicy(new RetryPolicy(5, schedule.RetryInterval, 2.0));

    private static TaskOptions QueryRetry(PollingSchedule schedule) => TaskOptions.FromRetryPolicy(
        new RetryPolicy(3, schedule.RetryInterval, 2.0)
        {
            HandleFailure = IsProviderFault,
        });

    private static TaskOptions ArchiveRetry(PollingSchedule schedule) => TaskOptions.FromRetryPolicy(
        new RetryPolicy(4, schedule.RetryInterval, 2.0)
        {
            HandleFailure = failure => failure.ErrorType != typeof(ArchiveRejectedException).FullName,
        });

    private static bool IsProviderFault(TaskFailureDetails failure) => failure.ErrorType == typeof(DashScopeException).FullName;

    // A submit attempt cut short by the worker's shutdown, or by storage failing around the ledger, may have sent its
    // request: ending the job SubmitFailed would orphan a task the provider may have created and billed. Running the
    // activity again is safe, because its intent record makes the re-run settle through the task list, never resubmit.
    private static bool IsInterruptedSubmit(TaskFailureDetails failure) =>
        failure.ErrorType == typeof(OperationCanceledException).FullName
        || failure.ErrorType == typeof(TaskCanceledException).FullName
        || failure.ErrorType == typeof(RequestFailedException).FullName;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a >= b ? a : b;
}

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class VideoJobOrchestration
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} submitted as provider task {TaskId}")]
    private static partial void LogSubmitted(ILogger logger, string jobId, string taskId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the throttled submit could not be reported: {Error}")]
    private static partial void LogThrottleNotReported(ILogger logger, string jobId, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: query of task {TaskId} failed: {Error}")]
    private static partial void LogQueryFailed(ILogger logger, string jobId, string taskId, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the provider refused the query of task {TaskId} ({Code})")]
    private static partial void LogQueryRefused(ILogger logger, string jobId, string taskId, string code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: no learned poll plan ({Error}); polling on the default schedule")]
    private static partial void LogPollPlanUnavailable(ILogger logger, string jobId, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: its run time was not recorded for the poll schedule: {Error}")]
    private static partial void LogPollSampleLost(ILogger logger, string jobId, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the provider refused to cancel task {TaskId} ({Code})")]
    private static partial void LogCancelRefused(ILogger logger, string jobId, string taskId, string? code);
}
