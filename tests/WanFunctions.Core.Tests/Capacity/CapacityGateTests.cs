using WanFunctions.Capacity;

namespace WanFunctions.Core.Tests.Capacity;

/// <summary>The gate's state transitions, without storage: FIFO, priority, leases, submit spacing, wake-ups, AIMD.</summary>
public class CapacityGateTests
{
    private static readonly DateTime T0 = new(2026, 11, 29, 12, 0, 0, DateTimeKind.Utc);

    private static readonly GateOptions Options = new()
    {
        LeaseDuration = TimeSpan.FromMinutes(5),
        RecoveryInterval = TimeSpan.FromMinutes(1),
        MaxRecheckInterval = TimeSpan.FromSeconds(30),
    };

    private static CapacityGate Gate(int slots = 2, int perSecond = 100) => new(new AccountLimits(slots, perSecond), Options);

    private static CapacityRequest Job(string id, string priority = CapacityGate.Normal, DateTime? queuedSince = null) =>
        new(GateAccounts.Default, id, priority, queuedSince ?? T0);

    private static CapacityAnswer Acquire(CapacityGate gate, GateState state, string id, DateTime now, string priority = CapacityGate.Normal,
        List<string>? woken = null) =>
        gate.Acquire(state, Job(id, priority, now), now, woken ?? []);

    [Fact]
    public void Slots_go_first_come_first_served_and_the_rest_queue_with_their_position()
    {
        var gate = Gate(slots: 2);
        var state = new GateState();

        Assert.True(Acquire(gate, state, "a", T0).Granted);
        Assert.True(Acquire(gate, state, "b", T0.AddSeconds(1)).Granted);
        var c = Acquire(gate, state, "c", T0.AddSeconds(2));
        var d = Acquire(gate, state, "d", T0.AddSeconds(3));

        Assert.False(c.Granted);
        Assert.Equal(1, c.Position);
        Assert.Equal(2, d.Position);
        Assert.Equal(T0.AddSeconds(3) + gate.RecheckInterval(state.Queue.Single(w => w.JobId == "d").Seq), d.RetryAt);
        Assert.True(d.EstimatedStartAt > T0.AddSeconds(3));
        Assert.Equal(["a", "b"], state.Holders.Select(h => h.JobId));
    }

    [Fact]
    public void Jobs_queued_together_look_again_at_spread_moments_none_later_than_the_recheck_interval()
    {
        var gate = Gate(slots: 1);
        var state = new GateState();
        Acquire(gate, state, "holder", T0);

        var retries = Enumerable.Range(1, 10).Select(i => Acquire(gate, state, $"job-{i}", T0).RetryAt!.Value).ToList();

        Assert.Equal(10, retries.Distinct().Count());
        Assert.All(retries, at => Assert.InRange(at, T0 + Options.MaxRecheckInterval / 2, T0 + Options.MaxRecheckInterval));
    }

    [Fact]
    public void Acquire_is_safe_to_run_twice_a_holder_gets_its_grant_again_and_a_waiter_keeps_its_place()
    {
        var gate = Gate(slots: 1);
        var state = new GateState();
        Acquire(gate, state, "a", T0);
        Acquire(gate, state, "b", T0.AddSeconds(1));

        Assert.True(Acquire(gate, state, "a", T0.AddSeconds(2)).Granted);
        Assert.Equal(1, Acquire(gate, state, "b", T0.AddSeconds(2)).Position);
        Assert.Single(state.Holders);
        Assert.Single(state.Queue);
    }

    [Fact]
    public void Release_grants_the_head_of_the_queue_and_names_it_to_be_woken()
    {
        var gate = Gate(slots: 1);
        var state = new GateState();
        Acquire(gate, state, "a", T0);
        Acquire(gate, state, "b", T0.AddSeconds(1));
        Acquire(gate, state, "c", T0.AddSeconds(2));

        var woken = new List<string>();
        gate.Release(state, "a", T0.AddSeconds(10), woken);

        Assert.Equal(["b"], woken);
        Assert.Equal("b", Assert.Single(state.Holders).JobId);
        Assert.True(Acquire(gate, state, "b", T0.AddSeconds(11)).Granted);
        Assert.Equal(1, Acquire(gate, state, "c", T0.AddSeconds(11)).Position);

        // Releasing twice (or a job that holds nothing) changes nothing.
        woken.Clear();
        gate.Release(state, "a", T0.AddSeconds(12), woken);
        Assert.Empty(woken);
        Assert.Equal("b", Assert.Single(state.Holders).JobId);
    }

    [Fact]
    public void Priority_orders_the_queue_high_before_normal_before_low_and_FIFO_within_a_priority()
    {
        var gate = Gate(slots: 1);
        var state = new GateState();
        Acquire(gate, state, "holder", T0);
        Acquire(gate, state, "low", T0.AddSeconds(1), CapacityGate.Low);
        Acquire(gate, state, "normal1", T0.AddSeconds(2));
        Acquire(gate, state, "high1", T0.AddSeconds(3), CapacityGate.High);
        Acquire(gate, state, "normal2", T0.AddSeconds(4));
        Acquire(gate, state, "high2", T0.AddSeconds(5), CapacityGate.High);

        Assert.Equal(["high1", "high2", "normal1", "normal2", "low"], CapacityGate.InOrder(state.Queue).Select(w => w.JobId));

        var order = new List<string>();
        var current = "holder";
        for (var i = 0; i < 5; i++)
        {
            var woken = new List<string>();
            gate.Release(state, current, T0.AddSeconds(10 + i), woken);
            current = Assert.Single(woken);
            order.Add(current);
        }

        Assert.Equal(["high1", "high2", "normal1", "normal2", "low"], order);
    }

    [Fact]
    public void An_expired_lease_is_reclaimed_and_the_slot_goes_to_the_next_job()
    {
        var gate = Gate(slots: 1);
        var state = new GateState();
        Acquire(gate, state, "gone", T0);
        Assert.False(Acquire(gate, state, "waiting", T0.AddSeconds(1)).Granted);

        // Just before the lease ends the slot is still taken; the waiter's re-check renews its own place.
        Assert.False(Acquire(gate, state, "waiting", T0 + Options.LeaseDuration - TimeSpan.FromSeconds(1)).Granted);
        Assert.True(Acquire(gate, state, "waiting", T0 + Options.LeaseDuration).Granted);
        Assert.DoesNotContain(state.Holders, h => h.JobId == "gone");
    }

    [Fact]
    public void A_waiter_that_stops_checking_loses_its_place_after_the_lease()
    {
        var gate = Gate(slots: 1);
        var state = new GateState();
        Acquire(gate, state, "holder", T0);
        Acquire(gate, state, "gone", T0);
        var woken = new List<string>();

        gate.Renew(state, Job("holder"), T0 + Options.LeaseDuration, woken);

        Assert.Empty(state.Queue);
        Assert.Empty(woken);
    }

    [Fact]
    public void Renewing_extends_the_lease_and_puts_back_a_holder_whose_slot_was_reclaimed()
    {
        var gate = Gate(slots: 1);
        var state = new GateState();
        Acquire(gate, state, "a", T0);

        var until = gate.Renew(state, Job("a"), T0.AddMinutes(4), []);
        Assert.Equal(T0.AddMinutes(4) + Options.LeaseDuration, until);
        Assert.True(Acquire(gate, state, "b", T0.AddMinutes(8)) is { Granted: false });

        // The worker was down longer than the lease: the slot was reclaimed, but the provider task still runs.
        var later = new GateState();
        Acquire(gate, later, "a", T0);
        gate.Tidy(later, T0.AddMinutes(6), []);
        Assert.Empty(later.Holders);
        gate.Renew(later, Job("a"), T0.AddMinutes(6), []);
        Assert.Equal("a", Assert.Single(later.Holders).JobId);
    }

    [Fact]
    public void Grants_are_spaced_to_the_submit_rate()
    {
        var gate = Gate(slots: 10, perSecond: 2);
        var state = new GateState();

        var submitAt = new[] { "a", "b", "c", "d", "e" }.Select(id => Acquire(gate, state, id, T0).SubmitAt).ToArray();

        Assert.Equal([T0, T0, T0.AddSeconds(1), T0.AddSeconds(1), T0.AddSeconds(2)], submitAt);
        // A grant long after the last ones is not held back.
        Assert.Equal(T0.AddSeconds(10), Acquire(gate, state, "f", T0.AddSeconds(10)).SubmitAt);
    }

    [Fact]
    public void A_429_halves_the_limit_requeues_the_job_at_its_old_place_and_the_limit_recovers_by_one_per_interval()
    {
        var gate = Gate(slots: 5);
        var state = new GateState();
        foreach (var id in new[] { "a", "b", "c", "d", "e" })
        {
            Acquire(gate, state, id, T0);
        }

        Acquire(gate, state, "later", T0.AddSeconds(5));

        var throttled = gate.Throttled(state, Job("e", queuedSince: T0), T0.AddSeconds(10), []);

        Assert.False(throttled.Granted);
        Assert.Equal(2, state.EffectiveLimit);
        Assert.Equal(1, throttled.Position); // before "later", which queued after it
        Assert.Equal(T0.AddSeconds(10), state.LastThrottledAt);

        // A second run of the same report halves nothing.
        gate.Throttled(state, Job("e", queuedSince: T0), T0.AddSeconds(11), []);
        Assert.Equal(2, state.EffectiveLimit);

        // Another 429 at 2 → 1, never below 1.
        gate.Throttled(state, Job("d", queuedSince: T0), T0.AddSeconds(12), []);
        Assert.Equal(1, state.EffectiveLimit);
        gate.Throttled(state, Job("c", queuedSince: T0), T0.AddSeconds(13), []);
        Assert.Equal(1, state.EffectiveLimit);

        // +1 per whole recovery interval without a 429, up to MaxConcurrentTasks.
        gate.Tidy(state, T0.AddSeconds(13) + TimeSpan.FromSeconds(59), []);
        Assert.Equal(1, state.EffectiveLimit);
        gate.Tidy(state, T0.AddSeconds(13) + TimeSpan.FromMinutes(1), []);
        Assert.Equal(2, state.EffectiveLimit);
        gate.Tidy(state, T0.AddSeconds(13) + TimeSpan.FromMinutes(3.5), []);
        Assert.Equal(4, state.EffectiveLimit);
        gate.Tidy(state, T0.AddSeconds(13) + TimeSpan.FromMinutes(4), []);
        Assert.Equal(5, state.EffectiveLimit);
        gate.Tidy(state, T0.AddSeconds(13) + TimeSpan.FromMinutes(40), []);
        Assert.Equal(5, state.EffectiveLimit);
    }

    [Fact]
    public void A_lower_limit_holds_back_grants_until_enough_slots_are_released()
    {
        var gate = Gate(slots: 4);
        var state = new GateState();
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            Acquire(gate, state, id, T0);
        }

        gate.Throttled(state, Job("d"), T0.AddSeconds(1), []); // limit 2, holders a, b, c
        var woken = new List<string>();
        gate.Release(state, "a", T0.AddSeconds(2), woken);
        Assert.Empty(woken); // b, c still hold 2 slots of 2
        gate.Release(state, "b", T0.AddSeconds(3), woken);
        Assert.Equal(["d"], woken);
    }
}
