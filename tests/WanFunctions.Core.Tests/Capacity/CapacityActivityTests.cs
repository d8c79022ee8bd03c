using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using WanFunctions.Capacity;
using WanFunctions.DashScope;

namespace WanFunctions.Core.Tests.Capacity;

/// <summary>The capacity activities over a store: a release wakes the job it granted, and only that one.</summary>
public class CapacityActivityTests
{
    private static readonly DateTime T0 = new(2026, 11, 29, 12, 0, 0, DateTimeKind.Utc);

    private sealed class Clock(DateTime now) : TimeProvider
    {
        public DateTime Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => new(Now);
    }

    private static CapacityGates Gates(IGateStore store, TimeProvider time, int slots = 1) => new(store,
        Options.Create(new DashScopeOptions { BaseUrl = new Uri("https://example.com"), ApiKey = "k", MaxConcurrentTasks = slots }),
        Options.Create(new GateOptions()), time);

    private static CapacityRequest Job(string id) => new(GateAccounts.Default, id, "normal", T0);

    [Fact]
    public async Task Release_wakes_the_job_it_granted_and_acquire_does_not_wake_the_caller()
    {
        var store = new InMemoryGateStore();
        var clock = new Clock(T0);
        var gates = Gates(store, clock);
        var waker = new Mock<IJobWaker>();
        var acquire = new AcquireCapacityActivity(gates, NullLogger<AcquireCapacityActivity>.Instance, waker.Object);
        var release = new ReleaseCapacityActivity(gates, waker.Object);

        Assert.True((await acquire.RunAsync(Job("a"), default)).Granted);
        Assert.False((await acquire.RunAsync(Job("b"), default)).Granted);
        waker.Verify(w => w.WakeAsync(It.IsAny<IReadOnlyCollection<GateHolder>>(), It.IsAny<CancellationToken>()), Times.Never);

        clock.Now = T0.AddSeconds(5);
        await release.RunAsync(Job("a"), default);

        waker.Verify(w => w.WakeAsync(It.Is<IReadOnlyCollection<GateHolder>>(grants => grants.Select(g => g.JobId).SequenceEqual(new[] { "b" })), It.IsAny<CancellationToken>()), Times.Once);
        Assert.True((await acquire.RunAsync(Job("b"), default)).Granted);
        var state = await store.ReadAsync(GateAccounts.Default, default);
        Assert.Equal("b", Assert.Single(state.Holders).JobId);
        Assert.Equal(5, state.AverageHoldSeconds);
    }

    [Fact]
    public async Task The_wake_carries_the_grant_the_release_wrote_so_the_woken_job_need_not_ask_again()
    {
        var store = new InMemoryGateStore();
        var clock = new Clock(T0);
        var gates = Gates(store, clock);
        var waker = new Mock<IJobWaker>();
        IReadOnlyCollection<GateHolder>? sent = null;
        waker.Setup(w => w.WakeAsync(It.IsAny<IReadOnlyCollection<GateHolder>>(), It.IsAny<CancellationToken>()))
            .Callback((IReadOnlyCollection<GateHolder> grants, CancellationToken _) => sent = grants)
            .Returns(Task.CompletedTask);
        var acquire = new AcquireCapacityActivity(gates, NullLogger<AcquireCapacityActivity>.Instance, waker.Object);
        await acquire.RunAsync(Job("a"), default);
        await acquire.RunAsync(Job("b"), default);

        clock.Now = T0.AddSeconds(5);
        await new ReleaseCapacityActivity(gates, waker.Object).RunAsync(Job("a"), default);

        var grant = Assert.Single(sent!);
        var stored = Assert.Single((await store.ReadAsync(GateAccounts.Default, default)).Holders);
        Assert.Equal(stored, grant);
        Assert.Equal("b", grant.JobId);
        Assert.Equal(T0.AddSeconds(5), grant.GrantedAt);
        Assert.Equal(T0.AddSeconds(5) + new GateOptions().LeaseDuration, grant.LeaseUntil);
    }

    [Fact]
    public async Task An_unknown_account_is_a_clear_error()
    {
        var gates = Gates(new InMemoryGateStore(), new Clock(T0));
        var acquire = new AcquireCapacityActivity(gates, NullLogger<AcquireCapacityActivity>.Instance);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            acquire.RunAsync(Job("a") with { Account = "elsewhere" }, default));
        Assert.Contains("'elsewhere'", ex.Message);
    }
}
