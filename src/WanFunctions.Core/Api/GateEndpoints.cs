using Microsoft.AspNetCore.Http;
using WanFunctions.Capacity;

namespace WanFunctions.Api;

/// <summary>GET /api/gate: the capacity gate of every account, for both hosts (the Functions app and the local host).</summary>
public sealed class GateEndpoints(CapacityGates gates)
{
    public const string Route = "api/gate";

    /// <summary>
    /// <c>{accounts: [{account, enabled, maxConcurrentTasks, maxSubmitsPerSecond, effectiveLimit, lastThrottledAt,
    /// holders: [{jobId, priority, queuedSince, grantedAt, submitAt, leaseUntil}], queued: [{jobId, priority,
    /// queuedSince, seq, leaseUntil}]}]}</c>, the queue in the order slots go. Expired leases are left out (the next
    /// gate operation reclaims them); nothing is written.
    /// </summary>
    public async Task<IResult> GetAsync(CancellationToken cancellationToken)
    {
        var views = new List<GateView>();
        foreach (var account in gates.Accounts)
        {
            var state = await gates.Store.ReadAsync(account, cancellationToken);
            gates.GateOf(account).Tidy(state, gates.UtcNow, []);
            var limits = gates.LimitsOf(account);
            views.Add(new GateView(account, gates.Options.Enabled, limits.MaxConcurrentTasks, limits.MaxSubmitsPerSecond,
                state.EffectiveLimit, state.LastThrottledAt, state.Holders, CapacityGate.InOrder(state.Queue).ToList()));
        }

        return Results.Json(new GateOverview(views));
    }
}
