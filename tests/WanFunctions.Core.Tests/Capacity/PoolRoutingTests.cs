using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WanFunctions.Capacity;
using WanFunctions.DashScope;

namespace WanFunctions.Core.Tests.Capacity;

/// <summary>AcquireCapacity over a pool of accounts: where a job that names no account is placed, and that it stays there.</summary>
public class PoolRoutingTests
{
    private static readonly DateTime T0 = new(2026, 11, 29, 12, 0, 0, DateTimeKind.Utc);

    private sealed class Clock(DateTime now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(now);
    }

    /// <summary>"default" (1 slot) and "second" (2 slots).</summary>
    private static AcquireCapacityActivity Acquire(InMemoryGateStore store) => new(new CapacityGates(store,
        Options.Create(new DashScopeOptions
        {
            BaseUrl = new Uri("https://example.com"),
            ApiKey = "k1",
            MaxConcurrentTasks = 1,
            Accounts = [new DashScopeAccountOptions { Name = "second", ApiKey = "k2", MaxConcurrentTasks = 2 }],
        }),
        Options.Create(new GateOptions()), new Clock(T0)), NullLogger<AcquireCapacityActivity>.Instance);

    private static CapacityRequest Unplaced(string id, params string[] candidates) =>
        new(null, id, "normal", T0, candidates.Length == 0 ? null : candidates);

    [Fact]
    public async Task Jobs_without_an_account_fill_the_free_slots_of_every_account_then_queue_where_the_queue_is_shortest()
    {
        var store = new InMemoryGateStore();
        var acquire = Acquire(store);

        var answers = new List<CapacityAnswer>();
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            answers.Add(await acquire.RunAsync(Unplaced(id), default));
        }

        Assert.All(answers.Take(3), a => Assert.True(a.Granted));
        Assert.Equal(2, answers.Take(3).Count(a => a.Account == "second"));
        Assert.Equal(1, answers.Take(3).Count(a => a.Account == "default"));
        Assert.False(answers[3].Granted);
        Assert.Equal(1, answers[3].Position);
        Assert.Single((await store.ReadAsync(answers[3].Account!, default)).Queue);
    }

    [Fact]
    public async Task A_second_run_finds_the_job_where_the_first_placed_it()
    {
        var store = new InMemoryGateStore();
        var acquire = Acquire(store);

        var first = await acquire.RunAsync(Unplaced("a"), default);
        var again = await acquire.RunAsync(Unplaced("a"), default);

        Assert.Equal(first.Account, again.Account);
        Assert.True(again.Granted);
        var holders = (await store.ReadAsync("default", default)).Holders.Count + (await store.ReadAsync("second", default)).Holders.Count;
        Assert.Equal(1, holders);
    }

    [Fact]
    public async Task Only_the_candidate_accounts_are_considered()
    {
        var store = new InMemoryGateStore();
        var acquire = Acquire(store);

        var answers = new[]
        {
            await acquire.RunAsync(Unplaced("a", "default"), default),
            await acquire.RunAsync(Unplaced("b", "default"), default),
        };

        Assert.All(answers, a => Assert.Equal("default", a.Account));
        Assert.True(answers[0].Granted);
        Assert.False(answers[1].Granted);
    }

    [Fact]
    public async Task A_job_whose_accounts_are_all_gone_fails_clearly()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Acquire(new InMemoryGateStore()).RunAsync(Unplaced("a", "removed"), default));

        Assert.Contains("removed", ex.Message);
        Assert.Contains("default, second", ex.Message);
    }
}
