using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using WanFunctions.Api;
using WanFunctions.Capacity;
using WanFunctions.Core.Tests.Capacity;
using WanFunctions.DashScope;
using WanFunctions.Jobs;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Api.ApiTestKit;

namespace WanFunctions.Core.Tests.Api;

/// <summary>
/// The start at the door: the starter asks the gate when the job is posted (a slot, or a place in the queue in POST
/// order) and the orchestration's first step takes that answer instead of a first trip to the gate.
/// </summary>
public sealed class AdmissionTests
{
    private static readonly TimeSpan Lease = new GateOptions().LeaseDuration;

    private static CapacityGates Gates(IGateStore store, params DashScopeAccountOptions[] more) => new(store,
        Options.Create(new DashScopeOptions { BaseUrl = new Uri("https://example.com"), ApiKey = "k1", MaxConcurrentTasks = 2, Accounts = [.. more] }),
        Options.Create(new GateOptions()), new FixedTimeProvider(Now));

    private static JobStarter Starter(CapacityGates gates, DashScopeOptions? dashScope = null) => new(
        new JobValidator(DashScopeRegion.International), new InMemoryIdempotencyRecords(), Options.Create(new WorkflowOptions()),
        new FixedTimeProvider(Now), NullLogger<JobStarter>.Instance, Options.Create(new GateOptions()),
        Options.Create(dashScope ?? new DashScopeOptions { BaseUrl = new Uri("https://example.com"), ApiKey = "k1" }),
        new DoorAdmission(gates, NullLogger<DoorAdmission>.Instance));

    private static VideoJobRequest Request() => JsonSerializer.Deserialize<VideoJobRequest>(ValidJob, JobJson.Options)!;

    /// <summary>The input the starter scheduled the orchestration with.</summary>
    private static VideoJobInput ScheduledInput(Mock<DurableTaskClient> client) =>
        Assert.IsType<VideoJobInput>(Assert.Single(client.Invocations, i => i.Method.Name == nameof(DurableTaskClient.ScheduleNewOrchestrationInstanceAsync)).Arguments[1]);

    /// <summary>The client's start of the orchestration, as the test scripts it.</summary>
    private static Moq.Language.Flow.ISetup<DurableTaskClient, Task<string>> OnStart(Mock<DurableTaskClient> client) =>
        client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
            It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()));

    private static async Task FillAsync(IGateStore store, string account, int holders) =>
        await store.UpdateAsync(account, state =>
        {
            state.EffectiveLimit = holders;
            for (var i = 0; i < holders; i++)
            {
                state.Holders.Add(new GateHolder($"other-{i}", CapacityGate.Normal, Now.UtcDateTime, Now.UtcDateTime, Now.UtcDateTime, Now.UtcDateTime + Lease));
            }

            return true;
        }, default);

    [Fact]
    public async Task A_job_posted_while_a_slot_is_free_takes_it_and_its_orchestration_carries_the_grant()
    {
        var store = new InMemoryGateStore();
        var client = Client();

        var started = await Starter(Gates(store)).StartAsync(Request(), client.Object, default);

        var ticket = ScheduledInput(client).Gate!;
        var grant = Assert.IsType<CapacityAnswer>(ticket.Admission);
        Assert.True(grant.Granted);
        Assert.Equal(Now.UtcDateTime + Lease, grant.LeaseUntil);
        Assert.Equal(Now.UtcDateTime, grant.SubmitAt);
        Assert.Equal(GateAccounts.Default, ticket.Account);
        Assert.Equal(started.JobId, Assert.Single((await store.ReadAsync(GateAccounts.Default, default)).Holders).JobId);
    }

    [Fact]
    public async Task A_job_posted_while_every_slot_is_taken_is_queued_at_the_door_and_its_orchestration_carries_its_place()
    {
        var store = new InMemoryGateStore();
        await FillAsync(store, GateAccounts.Default, 2);
        var client = Client();

        var started = await Starter(Gates(store)).StartAsync(Request(), client.Object, default);

        var admission = ScheduledInput(client).Gate!.Admission!;
        Assert.False(admission.Granted);
        Assert.Equal(1, admission.Position);
        Assert.InRange(admission.RetryAt!.Value, Now.UtcDateTime, Now.UtcDateTime + new GateOptions().MaxRecheckInterval);
        Assert.Equal(started.JobId, Assert.Single((await store.ReadAsync(GateAccounts.Default, default)).Queue).JobId);
        client.Verify(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task A_job_granted_its_slot_before_its_orchestration_existed_is_woken_once_it_does()
    {
        // A release between the door and the start promotes the job: that wake went nowhere, so the starter sends it again.
        var store = new InMemoryGateStore();
        await FillAsync(store, GateAccounts.Default, 2);
        var gates = Gates(store);
        var client = Client();
        OnStart(client).Returns(async (TaskName _, object? _, StartOrchestrationOptions? options, CancellationToken _) =>
            {
                await gates.ReleaseAsync(GateAccounts.Default, "other-0", Mock.Of<IJobWaker>(), default); // its wake is lost
                return options!.InstanceId!;
            });

        var started = await Starter(gates).StartAsync(Request(), client.Object, default);

        Assert.False(ScheduledInput(client).Gate!.Admission!.Granted);
        client.Verify(c => c.RaiseEventAsync(started.JobId!, DurableClientJobWaker.EventName,
            It.Is<object?>(o => o is GateHolder && ((GateHolder)o).JobId == started.JobId), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task In_a_pool_the_door_grant_names_the_account_with_the_most_free_slots()
    {
        var store = new InMemoryGateStore();
        var gates = Gates(store, new DashScopeAccountOptions { Name = "second", ApiKey = "k2", MaxConcurrentTasks = 5 });
        var pool = new DashScopeOptions
        {
            BaseUrl = new Uri("https://example.com"), ApiKey = "k1", MaxConcurrentTasks = 2,
            Accounts = [new DashScopeAccountOptions { Name = "second", ApiKey = "k2", MaxConcurrentTasks = 5 }],
        };
        var client = Client();

        await Starter(gates, pool).StartAsync(Request(), client.Object, default);

        var ticket = ScheduledInput(client).Gate!;
        Assert.Equal("second", ticket.Account);
        Assert.Equal("second", ticket.Admission!.Account);
        Assert.Null(ticket.Candidates);
    }

    [Fact]
    public async Task A_job_whose_start_failed_gives_its_queue_place_back_at_once()
    {
        var store = new InMemoryGateStore();
        await FillAsync(store, GateAccounts.Default, 2);
        var client = Client();
        OnStart(client).ThrowsAsync(new InvalidOperationException("the task hub is unreachable"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => Starter(Gates(store)).StartAsync(Request(), client.Object, default));

        var state = await store.ReadAsync(GateAccounts.Default, default);
        Assert.Equal(2, state.Holders.Count);
        Assert.Empty(state.Queue);
    }

    [Fact]
    public async Task A_caller_that_goes_away_while_the_gate_writes_leaves_no_queue_place_behind()
    {
        // The blob store commits the change, then the caller's cancellation surfaces (as ETagBlobDocuments can): the door
        // must not be canceled with the request, or the job would hold a place nobody gives back.
        using var request = new CancellationTokenSource();
        var inner = new InMemoryGateStore();
        await FillAsync(inner, GateAccounts.Default, 2);
        var store = new Mock<IGateStore>();
        store.Setup(s => s.UpdateAsync(It.IsAny<string>(), It.IsAny<Func<GateState, CapacityAnswer>>(), It.IsAny<CancellationToken>()))
            .Returns(async (string account, Func<GateState, CapacityAnswer> change, CancellationToken token) =>
            {
                var answer = await inner.UpdateAsync(account, change, token);
                await request.CancelAsync();
                token.ThrowIfCancellationRequested();
                return answer;
            });
        store.Setup(s => s.UpdateAsync(It.IsAny<string>(), It.IsAny<Func<GateState, bool>>(), It.IsAny<CancellationToken>()))
            .Returns((string account, Func<GateState, bool> change, CancellationToken token) => inner.UpdateAsync(account, change, token));
        var client = Client();
        OnStart(client).Returns((TaskName _, object? _, StartOrchestrationOptions? _, CancellationToken token) => Task.FromCanceled<string>(token));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Starter(Gates(store.Object)).StartAsync(Request(), client.Object, request.Token));

        Assert.Empty((await inner.ReadAsync(GateAccounts.Default, default)).Queue);
    }

    [Fact]
    public async Task A_slot_taken_for_a_job_whose_start_failed_stays_until_its_lease_ends()
    {
        // The start may still have happened (a timed-out call) or belong to another request with the same key: a slot
        // given back under a live job would let two tasks run on it.
        var store = new InMemoryGateStore();
        var client = Client();
        OnStart(client).ThrowsAsync(new TimeoutException("no answer from the task hub"));

        await Assert.ThrowsAsync<TimeoutException>(() => Starter(Gates(store)).StartAsync(Request(), client.Object, default));

        var holder = Assert.Single((await store.ReadAsync(GateAccounts.Default, default)).Holders);
        Assert.Equal(Now.UtcDateTime + Lease, holder.LeaseUntil);
    }

    [Fact]
    public async Task A_failed_start_whose_job_exists_after_all_keeps_its_place()
    {
        var store = new InMemoryGateStore();
        await FillAsync(store, GateAccounts.Default, 2);
        var client = Client();
        OnStart(client).ThrowsAsync(new TimeoutException("the answer was lost"));
        client.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, bool _, CancellationToken _) => new OrchestrationMetadata(WorkflowNames.Orchestrator, id));

        await Assert.ThrowsAsync<TimeoutException>(() => Starter(Gates(store)).StartAsync(Request(), client.Object, default));

        Assert.Single((await store.ReadAsync(GateAccounts.Default, default)).Queue);
    }

    [Fact]
    public async Task A_job_that_started_is_answered_as_started_even_if_the_caller_goes_away_during_the_look_for_a_meanwhile_grant()
    {
        using var request = new CancellationTokenSource();
        var inner = new InMemoryGateStore();
        await FillAsync(inner, GateAccounts.Default, 2);
        var store = new Mock<IGateStore>();
        store.Setup(s => s.UpdateAsync(It.IsAny<string>(), It.IsAny<Func<GateState, CapacityAnswer>>(), It.IsAny<CancellationToken>()))
            .Returns((string account, Func<GateState, CapacityAnswer> change, CancellationToken token) => inner.UpdateAsync(account, change, token));
        store.Setup(s => s.ReadAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Returns((string account, CancellationToken token) =>
            {
                token.ThrowIfCancellationRequested();
                return inner.ReadAsync(account, token);
            });
        var client = Client();
        OnStart(client).Returns(async (TaskName _, object? _, StartOrchestrationOptions? options, CancellationToken _) =>
            {
                await request.CancelAsync(); // the orchestration exists; the caller is gone
                return options!.InstanceId!;
            });

        var started = await Starter(Gates(store.Object)).StartAsync(Request(), client.Object, request.Token);

        Assert.True(started.Started);
        Assert.False(ScheduledInput(client).Gate!.Admission!.Granted);
    }

    [Fact]
    public async Task A_gate_that_cannot_be_reached_at_the_door_leaves_the_asking_to_the_orchestration()
    {
        var store = new Mock<IGateStore>();
        store.Setup(s => s.UpdateAsync(It.IsAny<string>(), It.IsAny<Func<GateState, CapacityAnswer>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new IOException("storage is down"));
        var client = Client();

        var started = await Starter(Gates(store.Object)).StartAsync(Request(), client.Object, default);

        Assert.True(started.Started);
        var ticket = ScheduledInput(client).Gate!;
        Assert.Null(ticket.Admission);
        Assert.Equal(GateAccounts.Default, ticket.Account);
    }
}
