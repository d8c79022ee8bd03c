using Azure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using WanFunctions.Capacity;
using WanFunctions.Core.Tests.DashScope;
using WanFunctions.DashScope;
using WanFunctions.Workflow;
using WanFunctions.Workflow.Activities;

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

    private static CheckVideoTaskActivity Check(DashScopeTaskState state, TimeProvider time, ReleaseCapacityActivity release)
    {
        var provider = new Mock<IDashScopeClient>();
        provider.Setup(p => p.GetTaskAsync("t-a", It.IsAny<CancellationToken>())).ReturnsAsync(new DashScopeTaskStatus("t-a", state));
        return new CheckVideoTaskActivity(new SingleClientFactory(provider.Object), time, release, NullLogger<CheckVideoTaskActivity>.Instance);
    }

    [Fact]
    public async Task The_check_that_finds_the_task_final_frees_its_slot_and_wakes_the_next_job_and_a_rerun_frees_nothing_more()
    {
        var store = new InMemoryGateStore();
        var clock = new Clock(T0);
        var gates = Gates(store, clock, slots: 2);
        var waker = new Mock<IJobWaker>();
        var acquire = new AcquireCapacityActivity(gates, NullLogger<AcquireCapacityActivity>.Instance, waker.Object);
        foreach (var job in new[] { "a", "b", "c", "d" })
        {
            await acquire.RunAsync(Job(job), default);
        }

        var check = Check(DashScopeTaskState.Succeeded, clock, new ReleaseCapacityActivity(gates, waker.Object));
        var task = new ProviderTaskRef("t-a", GateAccounts.Default, Job("a"));
        clock.Now = T0.AddSeconds(5);
        Assert.Equal(DashScopeTaskState.Succeeded, (await check.RunAsync(task, default)).State);

        var state = await store.ReadAsync(GateAccounts.Default, default);
        Assert.Equal(new[] { "b", "c" }, state.Holders.Select(h => h.JobId));
        Assert.Equal(new[] { "d" }, state.Queue.Select(w => w.JobId));
        waker.Verify(w => w.WakeAsync(It.Is<IReadOnlyCollection<GateHolder>>(g => g.Single().JobId == "c"), It.IsAny<CancellationToken>()), Times.Once);

        // The same check again (its answer was lost): a's slot is gone already, so no second slot is freed.
        clock.Now = T0.AddSeconds(6);
        await check.RunAsync(task, default);

        state = await store.ReadAsync(GateAccounts.Default, default);
        Assert.Equal(new[] { "b", "c" }, state.Holders.Select(h => h.JobId));
        Assert.Equal(new[] { "d" }, state.Queue.Select(w => w.JobId));
        waker.Verify(w => w.WakeAsync(It.IsAny<IReadOnlyCollection<GateHolder>>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_check_that_finds_the_task_still_at_work_keeps_the_slot()
    {
        var store = new InMemoryGateStore();
        var clock = new Clock(T0);
        var gates = Gates(store, clock);
        var waker = new Mock<IJobWaker>();
        var acquire = new AcquireCapacityActivity(gates, NullLogger<AcquireCapacityActivity>.Instance, waker.Object);
        await acquire.RunAsync(Job("a"), default);
        await acquire.RunAsync(Job("b"), default);

        await Check(DashScopeTaskState.Running, clock, new ReleaseCapacityActivity(gates, waker.Object))
            .RunAsync(new ProviderTaskRef("t-a", GateAccounts.Default, Job("a")), default);

        Assert.Equal("a", Assert.Single((await store.ReadAsync(GateAccounts.Default, default)).Holders).JobId);
        waker.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task A_release_that_fails_does_not_fail_the_check_that_saw_the_task_final()
    {
        var store = new Mock<IGateStore>();
        store.Setup(s => s.UpdateAsync(It.IsAny<string>(), It.IsAny<Func<GateState, bool>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(503, "storage down"));
        var clock = new Clock(T0);

        var check = await Check(DashScopeTaskState.Failed, clock, new ReleaseCapacityActivity(Gates(store.Object, clock)))
            .RunAsync(new ProviderTaskRef("t-a", GateAccounts.Default, Job("a")), default);

        Assert.Equal(DashScopeTaskState.Failed, check.State);
        store.Verify(s => s.UpdateAsync(GateAccounts.Default, It.IsAny<Func<GateState, bool>>(), It.IsAny<CancellationToken>()), Times.Once);
    }
}
