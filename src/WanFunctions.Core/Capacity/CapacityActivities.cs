using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WanFunctions.DashScope;
using WanFunctions.Workflow.Activities;

namespace WanFunctions.Capacity;

/// <summary>
/// The gate of each account as configured: its limits (today one account, <see cref="GateAccounts.Default"/>, with
/// <c>DashScope:MaxConcurrentTasks</c> and <c>DashScope:MaxSubmitsPerSecond</c>) and the store it lives in.
/// </summary>
public sealed class CapacityGates(IGateStore store, IOptions<DashScopeOptions> dashScope, IOptions<GateOptions> gate, TimeProvider time)
{
    public IGateStore Store => store;

    public GateOptions Options => gate.Value;

    public DateTime UtcNow => time.GetUtcNow().UtcDateTime;

    /// <summary>The accounts the gate knows.</summary>
    public IReadOnlyList<string> Accounts { get; } = [GateAccounts.Default];

    /// <summary>The limits of <paramref name="account"/>; an unknown account is a clear error, not a default.</summary>
    public AccountLimits LimitsOf(string account) => account == GateAccounts.Default
        ? new AccountLimits(dashScope.Value.MaxConcurrentTasks, dashScope.Value.MaxSubmitsPerSecond)
        : throw new InvalidOperationException($"No DashScope account named '{account}' is configured (known: {string.Join(", ", Accounts)}).");

    public CapacityGate GateOf(string account) => new(LimitsOf(account), gate.Value);

    /// <summary>Applies a gate operation to the account's stored state, then wakes the jobs it granted a slot, each with its grant.</summary>
    public async Task<T> RunAsync<T>(string account, Func<CapacityGate, GateState, DateTime, List<string>, T> operation,
        IJobWaker? waker, CancellationToken cancellationToken)
    {
        var rules = GateOf(account);
        List<GateHolder> grants = [];
        var result = await store.UpdateAsync(account, state =>
        {
            List<string> woken = [];
            var answer = operation(rules, state, UtcNow, woken);
            // The change may run again after a lost ETag race: only the last run's grants count.
            grants = [.. state.Holders.Where(h => woken.Contains(h.JobId))];
            return answer;
        }, cancellationToken);
        if (grants.Count > 0)
        {
            if (waker is null)
            {
                throw new InvalidOperationException("This host gave the capacity activity no way to wake jobs (IJobWaker).");
            }

            await waker.WakeAsync(grants, cancellationToken);
        }

        return result;
    }
}

/// <summary>
/// Takes a slot for the job or keeps its place in the queue (safe to run twice: a holder gets its grant again).
/// Jobs it grants a slot besides the caller (expired leases reclaimed, the limit recovered) are woken.
/// </summary>
/// <remarks>The Functions app passes the waker per call (a <c>[DurableClient]</c> binding); the local host injects one.</remarks>
public sealed partial class AcquireCapacityActivity(CapacityGates gates, ILogger<AcquireCapacityActivity> log, IJobWaker? waker = null)
    : IWorkflowActivity<CapacityRequest, CapacityAnswer>
{
    public Task<CapacityAnswer> RunAsync(CapacityRequest input, CancellationToken cancellationToken) => RunAsync(input, waker, cancellationToken);

    public async Task<CapacityAnswer> RunAsync(CapacityRequest input, IJobWaker? jobWaker, CancellationToken cancellationToken)
    {
        var answer = await gates.RunAsync(input.Account, (gate, state, now, woken) => gate.Acquire(state, input, now, woken),
            jobWaker, cancellationToken);
        if (!answer.Granted)
        {
            LogWaiting(log, input.JobId, input.Account, answer.Position);
        }

        return answer;
    }
}

/// <summary>Gives the job's slot (or queue place) back and wakes the jobs that now get one. Safe to run twice.</summary>
public sealed class ReleaseCapacityActivity(CapacityGates gates, IJobWaker? waker = null) : IWorkflowActivity<CapacityRequest, bool>
{
    public Task<bool> RunAsync(CapacityRequest input, CancellationToken cancellationToken) => RunAsync(input, waker, cancellationToken);

    public Task<bool> RunAsync(CapacityRequest input, IJobWaker? jobWaker, CancellationToken cancellationToken) =>
        gates.RunAsync(input.Account, (gate, state, now, woken) =>
        {
            gate.Release(state, input.JobId, now, woken);
            return true;
        }, jobWaker, cancellationToken);
}

/// <summary>A polling job's sign of life: its slot's lease is extended (the new end is returned). Safe to run twice.</summary>
public sealed class RenewCapacityLeaseActivity(CapacityGates gates, IJobWaker? waker = null) : IWorkflowActivity<CapacityRequest, DateTime>
{
    public Task<DateTime> RunAsync(CapacityRequest input, CancellationToken cancellationToken) => RunAsync(input, waker, cancellationToken);

    public Task<DateTime> RunAsync(CapacityRequest input, IJobWaker? jobWaker, CancellationToken cancellationToken) =>
        gates.RunAsync(input.Account, (gate, state, now, woken) => gate.Renew(state, input, now, woken), jobWaker, cancellationToken);
}

/// <summary>
/// The provider answered 429 to the job's submit despite the gate (another client shares the account): the account's
/// effective limit halves and the job waits again at its old place in the queue.
/// </summary>
public sealed partial class ReportThrottledActivity(CapacityGates gates, ILogger<ReportThrottledActivity> log, IJobWaker? waker = null)
    : IWorkflowActivity<CapacityRequest, CapacityAnswer>
{
    public Task<CapacityAnswer> RunAsync(CapacityRequest input, CancellationToken cancellationToken) => RunAsync(input, waker, cancellationToken);

    public async Task<CapacityAnswer> RunAsync(CapacityRequest input, IJobWaker? jobWaker, CancellationToken cancellationToken)
    {
        var answer = await gates.RunAsync(input.Account, (gate, state, now, woken) => gate.Throttled(state, input, now, woken),
            jobWaker, cancellationToken);
        LogThrottledDespiteGate(log, input.JobId, input.Account, answer.EffectiveLimit);
        return answer;
    }
}

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class AcquireCapacityActivity
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} waits for a slot of account {Account} at position {Position}")]
    private static partial void LogWaiting(ILogger logger, string jobId, string account, int? position);
}

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class ReportThrottledActivity
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the provider throttled its submit despite the gate; account {Account} now allows {Limit} tasks")]
    private static partial void LogThrottledDespiteGate(ILogger logger, string jobId, string account, int limit);
}
