using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WanFunctions.DashScope;
using WanFunctions.Telemetry;
using WanFunctions.Workflow.Activities;

namespace WanFunctions.Capacity;

/// <summary>
/// The gate of each account of the pool (<see cref="DashScopeOptions.Pool"/>): its limits (<c>MaxConcurrentTasks</c>,
/// <c>MaxSubmitsPerSecond</c>, per account or from the <c>DashScope</c> section) and the store it lives in.
/// </summary>
public sealed class CapacityGates(IGateStore store, IOptions<DashScopeOptions> dashScope, IOptions<GateOptions> gate, TimeProvider time)
{
    public IGateStore Store => store;

    public GateOptions Options => gate.Value;

    public DateTime UtcNow => time.GetUtcNow().UtcDateTime;

    /// <summary>The accounts the gate knows, in configuration order.</summary>
    public IReadOnlyList<string> Accounts => dashScope.Value.Pool.Select(a => a.Name).ToList();

    /// <summary>The limits of <paramref name="account"/>; an unknown account is a clear error, not a default.</summary>
    public AccountLimits LimitsOf(string account) =>
        dashScope.Value.Pool.FirstOrDefault(a => a.Name == account) is { } known
            ? new AccountLimits(known.MaxConcurrentTasks, known.MaxSubmitsPerSecond)
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

    /// <summary>Gives the job's slot (or queue place) in <paramref name="account"/> back; jobs that now get one are woken. Always true.</summary>
    public Task<bool> ReleaseAsync(string account, string jobId, IJobWaker? waker, CancellationToken cancellationToken) =>
        RunAsync(account, (gate, state, now, woken) =>
        {
            gate.Release(state, jobId, now, woken);
            return true;
        }, waker, cancellationToken);

    /// <summary>The job's place in the queue of <paramref name="account"/> is given back; a slot it holds is not. Always true.</summary>
    public Task<bool> LeaveQueueAsync(string account, string jobId, IJobWaker? waker, CancellationToken cancellationToken) =>
        RunAsync(account, (gate, state, now, woken) =>
        {
            gate.LeaveQueue(state, jobId, now, woken);
            return true;
        }, waker, cancellationToken);

    /// <summary>
    /// Takes a slot for the job or keeps its place in the queue (safe to run twice: a holder gets its grant again, a
    /// waiter keeps its place). A job with an account asks that account. One without (a pool, the job's
    /// <see cref="CapacityRequest.Candidates"/>) is placed: where an earlier call already placed it, else on the account
    /// with the most free slots that grants one at once (its queue empty), else on the one with the shortest queue per
    /// slot; it then waits there, and is not moved when another account frees a slot first. The answer names the account.
    /// </summary>
    /// <exception cref="InvalidOperationException">None of the job's accounts is configured any more.</exception>
    public async Task<CapacityAnswer> AcquireAsync(CapacityRequest request, IJobWaker? waker, CancellationToken cancellationToken)
    {
        if (request.Account is { } account)
        {
            return await AcquireAtAsync(account);
        }

        var looks = await LookAsync(request, cancellationToken);
        if (looks.FirstOrDefault(l => l.State.Holders.Exists(h => h.JobId == request.JobId) || l.State.Queue.Exists(w => w.JobId == request.JobId))
            is { Account: { } placed })
        {
            return await AcquireAtAsync(placed);
        }

        foreach (var (free, _) in looks.Where(l => l.State.Queue.Count == 0 && l.State.Holders.Count < l.State.EffectiveLimit)
            .OrderByDescending(l => l.State.EffectiveLimit - l.State.Holders.Count))
        {
            if (await RunAsync(free, (gate, state, now, woken) => gate.TryAcquire(state, request, now, woken), waker, cancellationToken) is { } granted)
            {
                return granted with { Account = free };
            }
        }

        return await AcquireAtAsync(looks.OrderBy(l => (double)(l.State.Holders.Count + l.State.Queue.Count) / Math.Max(1, l.State.EffectiveLimit)).First().Account);

        async Task<CapacityAnswer> AcquireAtAsync(string at) =>
            await RunAsync(at, (gate, state, now, woken) => gate.Acquire(state, request, now, woken), waker, cancellationToken) with { Account = at };
    }

    /// <summary>The job's holder record in <paramref name="account"/> if it holds a slot there now (as stored), else null.</summary>
    public async Task<GateHolder?> HolderAsync(string account, string jobId, CancellationToken cancellationToken) =>
        (await Store.ReadAsync(account, cancellationToken)).Holders.Find(h => h.JobId == jobId && h.LeaseUntil > UtcNow);

    /// <summary>The candidate accounts with their states as they stand (expired leases tidied away in the copy; nothing is written).</summary>
    private async Task<List<(string Account, GateState State)>> LookAsync(CapacityRequest request, CancellationToken cancellationToken)
    {
        var candidates = request.Candidates is { } named ? Accounts.Where(named.Contains).ToList() : Accounts;
        if (candidates.Count == 0)
        {
            throw new InvalidOperationException(
                $"None of the job's accounts ({string.Join(", ", request.Candidates ?? [])}) is configured any more (configured: {string.Join(", ", Accounts)}).");
        }

        var looks = new List<(string, GateState)>();
        foreach (var account in candidates)
        {
            var state = await Store.ReadAsync(account, cancellationToken);
            GateOf(account).Tidy(state, UtcNow, []);
            looks.Add((account, state));
        }

        return looks;
    }
}

/// <summary>
/// Takes a slot for the job or keeps its place in the queue (<see cref="CapacityGates.AcquireAsync"/>; safe to run twice).
/// Jobs it grants a slot besides the caller (expired leases reclaimed, the limit recovered) are woken.
/// </summary>
/// <remarks>The Functions app passes the waker per call (a <c>[DurableClient]</c> binding); the local host injects one.</remarks>
public sealed partial class AcquireCapacityActivity(CapacityGates gates, ILogger<AcquireCapacityActivity> log, IJobWaker? waker = null)
    : IWorkflowActivity<CapacityRequest, CapacityAnswer>
{
    public Task<CapacityAnswer> RunAsync(CapacityRequest input, CancellationToken cancellationToken) => RunAsync(input, waker, cancellationToken);

    public Task<CapacityAnswer> RunAsync(CapacityRequest input, IJobWaker? jobWaker, CancellationToken cancellationToken) =>
        GateTracing.TraceAsync("acquire", input, async () =>
        {
            var answer = await gates.AcquireAsync(input, jobWaker, cancellationToken);
            if (!answer.Granted)
            {
                LogWaiting(log, input.JobId, answer.Account!, answer.Position);
            }

            Activity.Current?.SetTag(GateTracing.GrantedTag, answer.Granted);
            Activity.Current?.SetSafeTag(WorkflowTelemetry.Tags.Account, answer.Account);
            return answer;
        });
}

/// <summary>Gives the job's slot (or queue place) back and wakes the jobs that now get one. Safe to run twice.</summary>
public sealed class ReleaseCapacityActivity(CapacityGates gates, IJobWaker? waker = null) : IWorkflowActivity<CapacityRequest, bool>
{
    public Task<bool> RunAsync(CapacityRequest input, CancellationToken cancellationToken) => RunAsync(input, waker, cancellationToken);

    public Task<bool> RunAsync(CapacityRequest input, IJobWaker? jobWaker, CancellationToken cancellationToken) =>
        GateTracing.TraceAsync("release", input, () => gates.ReleaseAsync(AccountOf(input), input.JobId, jobWaker, cancellationToken));

    internal static string AccountOf(CapacityRequest input) =>
        input.Account ?? throw new InvalidOperationException($"Job {input.JobId}: the capacity request names no account.");
}

/// <summary>A polling job's sign of life: its slot's lease is extended (the new end is returned). Safe to run twice.</summary>
public sealed class RenewCapacityLeaseActivity(CapacityGates gates, IJobWaker? waker = null) : IWorkflowActivity<CapacityRequest, DateTime>
{
    public Task<DateTime> RunAsync(CapacityRequest input, CancellationToken cancellationToken) => RunAsync(input, waker, cancellationToken);

    public Task<DateTime> RunAsync(CapacityRequest input, IJobWaker? jobWaker, CancellationToken cancellationToken) =>
        GateTracing.TraceAsync("renew", input, () => gates.RunAsync(ReleaseCapacityActivity.AccountOf(input),
            (gate, state, now, woken) => gate.Renew(state, input, now, woken), jobWaker, cancellationToken));
}

/// <summary>
/// The provider answered 429 to the job's submit despite the gate (another client shares the account): the account's
/// effective limit halves and the job waits again at its old place in the queue.
/// </summary>
public sealed partial class ReportThrottledActivity(CapacityGates gates, ILogger<ReportThrottledActivity> log, IJobWaker? waker = null)
    : IWorkflowActivity<CapacityRequest, CapacityAnswer>
{
    public Task<CapacityAnswer> RunAsync(CapacityRequest input, CancellationToken cancellationToken) => RunAsync(input, waker, cancellationToken);

    public Task<CapacityAnswer> RunAsync(CapacityRequest input, IJobWaker? jobWaker, CancellationToken cancellationToken) =>
        GateTracing.TraceAsync("throttled", input, async () =>
        {
            var account = ReleaseCapacityActivity.AccountOf(input);
            var answer = await gates.RunAsync(account, (gate, state, now, woken) => gate.Throttled(state, input, now, woken),
                jobWaker, cancellationToken);
            LogThrottledDespiteGate(log, input.JobId, account, answer.EffectiveLimit);
            return answer with { Account = account };
        });
}

/// <summary>The gate's steps are traced as <c>wan.gate.{step}</c> with the job and the account.</summary>
internal static class GateTracing
{
    public const string GrantedTag = "wan.gate.granted";

    public static Task<T> TraceAsync<T>(string step, CapacityRequest input, Func<Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(input);
        return WorkflowTelemetry.TraceAsync("gate." + step, input.JobId, span =>
        {
            span.SetSafeTag(WorkflowTelemetry.Tags.Account, input.Account);
            return run();
        });
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
