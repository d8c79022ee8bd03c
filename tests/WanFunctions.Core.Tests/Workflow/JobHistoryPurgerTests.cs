using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using WanFunctions.Workflow;

namespace WanFunctions.Core.Tests.Workflow;

public sealed class JobHistoryPurgerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 3, 30, 0, TimeSpan.Zero);

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>A client whose query finds <paramref name="finished"/> instances, page by page; purges are recorded.</summary>
    private sealed class Backlog
    {
        public Backlog(int finished)
        {
            Ids = Enumerable.Range(1, finished).Select(i => $"job-{i:D5}").ToList();
            Client.Setup(c => c.GetAllInstancesAsync(It.IsAny<OrchestrationQuery?>()))
                .Returns((OrchestrationQuery? query) =>
                {
                    Queries.Add(query!);
                    return Pageable.Create((string? token, int? size, CancellationToken _) =>
                    {
                        var from = token is null ? 0 : int.Parse(token);
                        var count = size ?? query!.PageSize;
                        var items = Ids.Skip(from).Take(count)
                            .Select(id => new OrchestrationMetadata(WorkflowNames.Orchestrator, id) { RuntimeStatus = OrchestrationRuntimeStatus.Completed })
                            .ToList();
                        var next = from + count < Ids.Count ? (from + count).ToString() : null;
                        return Task.FromResult(new Page<OrchestrationMetadata>(items, next));
                    });
                });
            Client.Setup(c => c.PurgeInstanceAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Returns((string id, CancellationToken _) =>
                {
                    lock (Purged)
                    {
                        Purged.Add(id);
                    }

                    OnPurge?.Invoke(id);
                    return Task.FromResult(new PurgeResult(1));
                });
        }

        public List<string> Ids { get; }

        public Mock<DurableTaskClient> Client { get; } = new("test");

        public List<OrchestrationQuery> Queries { get; } = [];

        public List<string> Purged { get; } = [];

        public Action<string>? OnPurge { get; set; }
    }

    private static JobHistoryPurger Purger(int batchSize = 1000, TimeProvider? clock = null) =>
        new(Options.Create(new WorkflowOptions { HistoryRetention = TimeSpan.FromDays(30), PurgeBatchSize = batchSize }),
            clock ?? new FixedClock(Now), NullLogger<JobHistoryPurger>.Instance);

    [Fact]
    public async Task Purges_only_finished_jobs_created_before_the_retention_cutoff()
    {
        var backlog = new Backlog(7);

        var result = await Purger().PurgeAsync(backlog.Client.Object, CancellationToken.None);

        Assert.Equal(new JobHistoryPurgeResult(7, MoreRemain: false), result);
        var query = Assert.Single(backlog.Queries);
        Assert.Equal(Now.AddDays(-30), query.CreatedTo);
        Assert.NotNull(query.CreatedFrom);
        Assert.Equal(
            [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated],
            query.Statuses!.Order());
        Assert.Equal(backlog.Ids.Order(), backlog.Purged.Order());
        backlog.Client.Verify(c => c.PurgeAllInstancesAsync(It.IsAny<PurgeInstancesFilter>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task A_backlog_beyond_the_batch_size_is_purged_a_batch_per_run_and_says_more_remain()
    {
        var backlog = new Backlog(250);

        var result = await Purger(batchSize: 120).PurgeAsync(backlog.Client.Object, CancellationToken.None);

        Assert.Equal(new JobHistoryPurgeResult(120, MoreRemain: true), result);
        Assert.Equal(backlog.Ids.Take(120), backlog.Purged.Order());
        Assert.Equal(100, Assert.Single(backlog.Queries).PageSize);
    }

    [Fact]
    public async Task A_batch_size_of_one_purges_one_and_pages_by_one()
    {
        var backlog = new Backlog(3);

        var result = await Purger(batchSize: 1).PurgeAsync(backlog.Client.Object, CancellationToken.None);

        Assert.Equal(new JobHistoryPurgeResult(1, MoreRemain: true), result);
        Assert.Equal(1, Assert.Single(backlog.Queries).PageSize);
    }

    [Fact]
    public async Task Exactly_the_batch_size_left_is_cleared_with_nothing_remaining()
    {
        var backlog = new Backlog(200);

        var result = await Purger(batchSize: 200).PurgeAsync(backlog.Client.Object, CancellationToken.None);

        Assert.Equal(new JobHistoryPurgeResult(200, MoreRemain: false), result);
    }

    [Fact]
    public async Task The_time_budget_ends_the_run_after_the_page_in_progress()
    {
        var clock = new FixedClock(Now);
        var backlog = new Backlog(500) { OnPurge = _ => clock.Now = Now + JobHistoryPurger.TimeBudget };

        var result = await Purger(batchSize: 100_000, clock: clock).PurgeAsync(backlog.Client.Object, CancellationToken.None);

        Assert.Equal(new JobHistoryPurgeResult(100, MoreRemain: true), result);
    }

    [Fact]
    public async Task A_purge_that_fails_is_skipped_and_left_for_the_next_run()
    {
        var backlog = new Backlog(5);
        backlog.Client.Setup(c => c.PurgeInstanceAsync("job-00003", It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("storage hiccup"));

        var result = await Purger().PurgeAsync(backlog.Client.Object, CancellationToken.None);

        Assert.Equal(new JobHistoryPurgeResult(4, MoreRemain: true), result);
    }

    [Fact]
    public async Task Nothing_to_purge_is_a_quiet_run()
    {
        var backlog = new Backlog(0);

        Assert.Equal(new JobHistoryPurgeResult(0, MoreRemain: false), await Purger().PurgeAsync(backlog.Client.Object, CancellationToken.None));
    }
}
