namespace WanFunctions.Capacity;

/// <summary>
/// The gate's rules, as pure changes of a <see cref="GateState"/> at a given time (the activities read, apply, and
/// write back under the blob's ETag). Slots go to the queue's head: priority high &gt; normal &gt; low, then FIFO by
/// the job's first queueing time. Expired leases (holders and waiters) are reclaimed by every operation. Limits:
/// the account's MaxConcurrentTasks, lowered by half on a 429 and raised by one per recovery interval without one
/// (AIMD); submits are spaced to MaxSubmitsPerSecond by giving each grant its own submit time.
/// </summary>
public sealed class CapacityGate(AccountLimits limits, GateOptions options)
{
    public const string High = "high";
    public const string Normal = "normal";
    public const string Low = "low";

    /// <summary>The priorities a job may name, highest first.</summary>
    public static readonly IReadOnlyList<string> Priorities = [High, Normal, Low];

    /// <summary>
    /// The caller wants a slot: already a holder → its grant (lease renewed); otherwise queued (or its place renewed),
    /// then the queue's head is served. <paramref name="woken"/> gets the other jobs this granted a slot.
    /// </summary>
    public CapacityAnswer Acquire(GateState state, CapacityRequest request, DateTime now, List<string> woken)
    {
        Maintain(state, now);
        var held = state.Holders.FindIndex(h => h.JobId == request.JobId);
        if (held >= 0)
        {
            state.Holders[held] = state.Holders[held] with { LeaseUntil = now + options.LeaseDuration };
            return GrantAnswer(state, state.Holders[held]);
        }

        var waiting = state.Queue.FindIndex(w => w.JobId == request.JobId);
        if (waiting >= 0)
        {
            state.Queue[waiting] = state.Queue[waiting] with { LeaseUntil = now + options.LeaseDuration };
        }
        else
        {
            state.Queue.Add(new GateWaiter(request.JobId, request.Priority, request.QueuedSince, state.NextSeq++, now + options.LeaseDuration));
        }

        Promote(state, now, woken);
        woken.Remove(request.JobId);
        return Answer(state, request.JobId, now);
    }

    /// <summary>
    /// A slot for a job not placed yet, only if one is free now (the queue empty, a slot under the limit): its grant,
    /// else null and the job is not queued here (routing tries the next account).
    /// </summary>
    public CapacityAnswer? TryAcquire(GateState state, CapacityRequest request, DateTime now, List<string> woken)
    {
        Maintain(state, now);
        Promote(state, now, woken);
        return state.Queue.Count > 0 || state.Holders.Count >= state.EffectiveLimit ? null : Acquire(state, request, now, woken);
    }

    /// <summary>The job is done with its slot (or its queue place): both are removed, and waiting jobs that now fit are granted.</summary>
    public void Release(GateState state, string jobId, DateTime now, List<string> woken)
    {
        Maintain(state, now);
        var held = state.Holders.FindIndex(h => h.JobId == jobId);
        if (held >= 0)
        {
            var seconds = Math.Max(0, (now - state.Holders[held].GrantedAt).TotalSeconds);
            state.AverageHoldSeconds = state.AverageHoldSeconds <= 0 ? seconds : 0.8 * state.AverageHoldSeconds + 0.2 * seconds;
            state.Holders.RemoveAt(held);
        }

        state.Queue.RemoveAll(w => w.JobId == jobId);
        Promote(state, now, woken);
    }

    /// <summary>The job no longer waits (its start failed): its place in the queue goes; a slot it holds stays.</summary>
    public void LeaveQueue(GateState state, string jobId, DateTime now, List<string> woken)
    {
        Maintain(state, now);
        state.Queue.RemoveAll(w => w.JobId == jobId);
        Promote(state, now, woken);
    }

    /// <summary>
    /// A holder's sign of life: its lease is extended. A holder whose slot was reclaimed (its worker was down longer
    /// than the lease) is put back, since its provider task is still running and counts against the provider's limit.
    /// </summary>
    public DateTime Renew(GateState state, CapacityRequest request, DateTime now, List<string> woken)
    {
        Maintain(state, now);
        var leaseUntil = now + options.LeaseDuration;
        var held = state.Holders.FindIndex(h => h.JobId == request.JobId);
        if (held >= 0)
        {
            state.Holders[held] = state.Holders[held] with { LeaseUntil = leaseUntil };
        }
        else
        {
            state.Queue.RemoveAll(w => w.JobId == request.JobId);
            state.Holders.Add(new GateHolder(request.JobId, request.Priority, request.QueuedSince, now, now, leaseUntil));
        }

        Promote(state, now, woken);
        return leaseUntil;
    }

    /// <summary>
    /// The provider answered 429 to this holder's submit: the effective limit halves (at least 1), and the job goes back
    /// to the queue at its old place (its first queueing time), to wait for a slot under the lower limit.
    /// </summary>
    public CapacityAnswer Throttled(GateState state, CapacityRequest request, DateTime now, List<string> woken)
    {
        Maintain(state, now);
        // Only a holder's 429 counts: a second run of the report finds the job queued already and halves nothing.
        if (state.Holders.RemoveAll(h => h.JobId == request.JobId) > 0)
        {
            state.EffectiveLimit = Math.Max(1, state.EffectiveLimit / 2);
            state.LastThrottledAt = now;
            state.LastIncreaseAt = null;
        }

        if (!state.Queue.Exists(w => w.JobId == request.JobId))
        {
            state.Queue.Add(new GateWaiter(request.JobId, request.Priority, request.QueuedSince, state.NextSeq++, now + options.LeaseDuration));
        }

        Promote(state, now, woken);
        woken.Remove(request.JobId);
        return Answer(state, request.JobId, now);
    }

    /// <summary>Reclaims expired leases and recovers the limit; the queue's head is served.</summary>
    public void Tidy(GateState state, DateTime now, List<string> woken)
    {
        Maintain(state, now);
        Promote(state, now, woken);
    }

    /// <summary>The queue in the order slots go: priority, then first queueing time, then arrival.</summary>
    public static IEnumerable<GateWaiter> InOrder(IEnumerable<GateWaiter> queue) =>
        queue.OrderBy(w => Rank(w.Priority)).ThenBy(w => w.QueuedSince).ThenBy(w => w.Seq);

    private static int Rank(string priority) => priority switch
    {
        High => 0,
        Low => 2,
        _ => 1,
    };

    private void Maintain(GateState state, DateTime now)
    {
        state.Holders.RemoveAll(h => h.LeaseUntil <= now);
        state.Queue.RemoveAll(w => w.LeaseUntil <= now);

        var max = limits.MaxConcurrentTasks;
        if (state.EffectiveLimit <= 0 || state.EffectiveLimit > max || state.LastThrottledAt is null)
        {
            state.EffectiveLimit = state.LastThrottledAt is null ? max : Math.Clamp(state.EffectiveLimit, 1, max);
            return;
        }

        // Additive increase: one per whole recovery interval since the last change.
        var since = state.LastIncreaseAt ?? state.LastThrottledAt.Value;
        var steps = (now - since).Ticks / options.RecoveryInterval.Ticks;
        if (state.EffectiveLimit < max && steps > 0)
        {
            state.EffectiveLimit = (int)Math.Min(max, state.EffectiveLimit + steps);
            state.LastIncreaseAt = since + options.RecoveryInterval * steps;
        }
    }

    private void Promote(GateState state, DateTime now, List<string> woken)
    {
        while (state.Holders.Count < state.EffectiveLimit && state.Queue.Count > 0)
        {
            var head = InOrder(state.Queue).First();
            state.Queue.Remove(head);
            state.Holders.Add(new GateHolder(head.JobId, head.Priority, head.QueuedSince, now, NextSubmitAt(state, now),
                now + options.LeaseDuration));
            woken.Add(head.JobId);
        }
    }

    /// <summary>At most MaxSubmitsPerSecond submits in any second: the Nth grant back plus one second, or now.</summary>
    private DateTime NextSubmitAt(GateState state, DateTime now)
    {
        var perSecond = limits.MaxSubmitsPerSecond;
        var at = state.RecentSubmits.Count >= perSecond ? Max(now, state.RecentSubmits[^perSecond].AddSeconds(1)) : now;
        state.RecentSubmits.Add(at);
        if (state.RecentSubmits.Count > perSecond)
        {
            state.RecentSubmits.RemoveRange(0, state.RecentSubmits.Count - perSecond);
        }

        return at;
    }

    private CapacityAnswer Answer(GateState state, string jobId, DateTime now)
    {
        if (state.Holders.Find(h => h.JobId == jobId) is { } holder)
        {
            return GrantAnswer(state, holder);
        }

        var position = InOrder(state.Queue).TakeWhile(w => w.JobId != jobId).Count() + 1;
        // Rounds of the effective limit ahead of it, each an average hold (a first guess: the options' recheck interval).
        var hold = state.AverageHoldSeconds > 0 ? state.AverageHoldSeconds : options.MaxRecheckInterval.TotalSeconds;
        var rounds = (position + state.EffectiveLimit - 1) / Math.Max(1, state.EffectiveLimit);
        var estimated = now + TimeSpan.FromSeconds(Math.Round(rounds * hold));
        return new CapacityAnswer(false, Position: position, EstimatedStartAt: estimated,
            RetryAt: now + RecheckInterval(state.Queue.Find(w => w.JobId == jobId)!.Seq), EffectiveLimit: state.EffectiveLimit);
    }

    /// <summary>
    /// A waiting job's re-check interval: between 55 % and all of MaxRecheckInterval, by its arrival (the waiter's
    /// sequence number), so a burst of jobs queued together does not look at the gate again all in the same moment.
    /// </summary>
    public TimeSpan RecheckInterval(long seq) => options.MaxRecheckInterval * (0.5 + 0.05 * (seq % 10) + 0.05);

    private static CapacityAnswer GrantAnswer(GateState state, GateHolder holder) =>
        new(true, holder.LeaseUntil, holder.SubmitAt, EffectiveLimit: state.EffectiveLimit);

    private static DateTime Max(DateTime a, DateTime b) => a >= b ? a : b;
}
