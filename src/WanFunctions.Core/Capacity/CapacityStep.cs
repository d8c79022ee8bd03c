using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using WanFunctions.Workflow;

namespace WanFunctions.Capacity;

/// <summary>How a wait for a slot ended.</summary>
public enum SlotWait
{
    /// <summary>The job holds a slot and may submit now.</summary>
    Granted,
    /// <summary>A cancel arrived while the job waited: nothing was submitted.</summary>
    Canceled,
    /// <summary>No slot within <see cref="GateTicket.MaxQueueTime"/>.</summary>
    QueueTimeout,
    /// <summary>This generation made its share of checks: continue as new with <see cref="SlotWaitResult.Ticket"/>.</summary>
    ContinueAsNew,
}

/// <summary>A wait's end, the ticket as it stands, and (granted) when the slot's lease ends.</summary>
public sealed record SlotWaitResult(SlotWait Outcome, GateTicket Ticket, DateTime? LeaseUntil = null, DateTime? SubmitAt = null);

/// <summary>
/// The orchestration's steps around the capacity gate: wait for a slot before the submit, keep it alive while
/// polling, give it back at the end. Deterministic (time from the context only; the gate is reached by activities).
/// </summary>
public static partial class CapacityStep
{
    /// <summary>
    /// Waits for a slot of the ticket's account: the gate's answer at the POST (<see cref="GateTicket.Admission"/>) or
    /// <c>AcquireCapacity</c>, then (queued) a wait for the
    /// "capacity-granted" event raced against a re-check timer (the answer's <c>retryAt</c>, never past the queue
    /// deadline) and the cancel. Shows phase <see cref="JobPhase.Queued"/> with position and estimated start.
    /// The event carries the grant (a <see cref="GateHolder"/>): one made after the job's last look at the gate, with
    /// its lease still running, is taken as is, without another <c>AcquireCapacity</c> (see <see cref="IsFreshGrant"/>);
    /// any other wake (no payload, stale) makes the job look again. Granted with a later submit time (the account's
    /// submit rate), it waits for that time first.
    /// </summary>
    public static async Task<SlotWaitResult> WaitForSlotAsync(TaskOrchestrationContext context, string jobId, GateTicket ticket,
        Task<CancelRequest> cancelRequested, TaskOptions retry)
    {
        var log = context.CreateReplaySafeLogger(typeof(CapacityStep));
        var deadline = ticket.QueuedSince + ticket.MaxQueueTime;
        // The gate's answer at the POST serves as the first look: a place in the queue, or a slot while at least half of
        // its lease is left (an orchestration that started late asks again, which renews a slot still held: a lease that
        // ran out meanwhile may have gone to another job, and one about to would be reclaimed before the first renewal).
        var atTheDoor = ticket.Admission is { } door
            && (!door.Granted || (door.LeaseUntil is { } doorLease && context.CurrentUtcDateTime < HalfWay(ticket.QueuedSince, doorLease)))
            ? door : null;
        ticket = ticket with { Admission = null };
        // One waiter for the wake event, kept until it fires: a fresh one per round would leave stale ones to swallow it.
        Task<GateHolder?>? granted = null;
        GateHolder? wokenWith = null;
        var askedAt = DateTime.MinValue;
        // Bounded per generation: after ChecksPerGeneration looks the job continues as new, which keeps history short.
        while (ticket.Checks < ticket.ChecksPerGeneration)
        {
            if (cancelRequested.IsCompleted)
            {
                return new SlotWaitResult(SlotWait.Canceled, ticket);
            }

            CapacityAnswer answer;
            if (atTheDoor is not null)
            {
                answer = atTheDoor;
                atTheDoor = null;
            }
            else if (IsFreshGrant(wokenWith, jobId, askedAt, context.CurrentUtcDateTime))
            {
                // The release that freed the slot granted it to this job already: no second trip to the gate.
                answer = new CapacityAnswer(true, wokenWith!.LeaseUntil, wokenWith.SubmitAt);
            }
            else
            {
                askedAt = context.CurrentUtcDateTime;
                answer = await context.CallActivityAsync<CapacityAnswer>(WorkflowNames.AcquireCapacity, ticket.RequestFor(jobId), retry);
                // The first answer places the job on an account of the pool; it stays there (and its task with it).
                ticket = ticket with { Checks = ticket.Checks + 1, Account = answer.Account ?? ticket.Account };
            }

            wokenWith = null;
            var now = context.CurrentUtcDateTime;
            if (answer.Granted)
            {
                if (answer.SubmitAt is { } submitAt && submitAt > now)
                {
                    await context.CreateTimer(submitAt, CancellationToken.None);
                }

                return new SlotWaitResult(SlotWait.Granted, ticket, answer.LeaseUntil, answer.SubmitAt);
            }

            if (now >= deadline)
            {
                return new SlotWaitResult(SlotWait.QueueTimeout, ticket);
            }

            context.SetCustomStatus(new JobProgress(JobPhase.Queued, QueuePosition: answer.Position, EstimatedStartAt: answer.EstimatedStartAt,
                DeadlineAt: deadline));
            LogQueued(log, jobId, answer.Position);
            granted ??= context.WaitForExternalEvent<GateHolder?>(DurableClientJobWaker.EventName);
            var recheckAt = answer.RetryAt is { } retryAt && retryAt < deadline ? retryAt : deadline;
            using var timerCancellation = new CancellationTokenSource();
            var timer = context.CreateTimer(recheckAt, timerCancellation.Token);
            var winner = await Task.WhenAny(cancelRequested, granted, timer);
            if (winner != timer)
            {
                timerCancellation.Cancel();
            }

            if (winner == granted)
            {
                wokenWith = granted.Result;
                granted = null;
            }
        }

        return cancelRequested.IsCompleted
            ? new SlotWaitResult(SlotWait.Canceled, ticket)
            : new SlotWaitResult(SlotWait.ContinueAsNew, ticket with { Checks = 0 });
    }

    /// <summary>
    /// Renews the slot's lease once half of it has passed (and on the first poll of a generation, when
    /// <paramref name="renewAt"/> is null). Returns when to renew next. A failure is logged: the lease is long.
    /// </summary>
    public static async Task<DateTime?> RenewIfDueAsync(TaskOrchestrationContext context, string jobId, GateTicket ticket,
        DateTime? renewAt, TaskOptions retry)
    {
        var now = context.CurrentUtcDateTime;
        if (renewAt is { } due && now < due)
        {
            return renewAt;
        }

        try
        {
            var leaseUntil = await context.CallActivityAsync<DateTime>(WorkflowNames.RenewCapacityLease, ticket.RequestFor(jobId), retry);
            return HalfWay(now, leaseUntil);
        }
        catch (TaskFailedException ex)
        {
            LogRenewFailed(context.CreateReplaySafeLogger(typeof(CapacityStep)), jobId, ex.FailureDetails.ErrorMessage);
            return null;
        }
    }

    /// <summary>Gives the slot (or queue place) back. A failure is logged: the lease reclaims the slot in the end.</summary>
    public static async Task ReleaseAsync(TaskOrchestrationContext context, string jobId, GateTicket ticket, TaskOptions retry)
    {
        if (ticket.Account is null)
        {
            return; // never placed on an account: nothing to give back
        }

        try
        {
            await context.CallActivityAsync<bool>(WorkflowNames.ReleaseCapacity, ticket.RequestFor(jobId), retry);
        }
        catch (TaskFailedException ex)
        {
            LogReleaseFailed(context.CreateReplaySafeLogger(typeof(CapacityStep)), jobId, ex.FailureDetails.ErrorMessage);
        }
    }

    /// <summary>The provider answered 429 despite the gate: the account's limit halves and the job queues again.</summary>
    public static Task<CapacityAnswer> ReportThrottledAsync(TaskOrchestrationContext context, string jobId, GateTicket ticket, TaskOptions retry) =>
        context.CallActivityAsync<CapacityAnswer>(WorkflowNames.ReportThrottled, ticket.RequestFor(jobId), retry);

    /// <summary>
    /// Whether a wake event's grant can be taken without asking the gate again: it is this job's, made at or after the
    /// job last asked (<paramref name="askedAt"/>, the orchestration time before its last <c>AcquireCapacity</c>, so a
    /// grant the job already used before a 429 sent it back to the queue does not count twice), and its lease runs.
    /// </summary>
    public static bool IsFreshGrant(GateHolder? grant, string jobId, DateTime askedAt, DateTime now) =>
        grant is not null && grant.JobId == jobId && grant.GrantedAt >= askedAt && grant.LeaseUntil > now;

    /// <summary>When a lease that ends at <paramref name="leaseUntil"/> is half gone.</summary>
    public static DateTime HalfWay(DateTime now, DateTime leaseUntil) => now + (leaseUntil - now) / 2;
}

// Log lines: ids, states and codes only, never a URL or a key.
public static partial class CapacityStep
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} queued at position {Position}")]
    private static partial void LogQueued(ILogger logger, string jobId, int? position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the slot's lease could not be renewed: {Error}")]
    private static partial void LogRenewFailed(ILogger logger, string jobId, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the slot could not be released ({Error}); its lease will expire")]
    private static partial void LogReleaseFailed(ILogger logger, string jobId, string? error);
}
