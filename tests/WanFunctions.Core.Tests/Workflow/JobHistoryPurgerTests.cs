using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using WanFunctions.Workflow;

namespace WanFunctions.Core.Tests.Workflow;

public sealed class JobHistoryPurgerTests
{
    sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public async Task Purges_only_finished_jobs_created_before_the_retention_cutoff()
    {
        var now = new DateTimeOffset(2026, 11, 27, 3, 30, 0, TimeSpan.Zero);
        var client = new Mock<DurableTaskClient>("test");
        PurgeInstancesFilter? filter = null;
        client.Setup(c => c.PurgeAllInstancesAsync(It.IsAny<PurgeInstancesFilter>(), It.IsAny<CancellationToken>()))
            .Callback((PurgeInstancesFilter f, CancellationToken _) => filter = f)
            .ReturnsAsync(new PurgeResult(7));
        var purger = new JobHistoryPurger(Options.Create(new WorkflowOptions { HistoryRetention = TimeSpan.FromDays(30) }),
            new FixedClock(now), NullLogger<JobHistoryPurger>.Instance);

        int purged = await purger.PurgeAsync(client.Object, CancellationToken.None);

        Assert.Equal(7, purged);
        Assert.NotNull(filter);
        Assert.Equal(now.AddDays(-30), filter.CreatedTo);
        Assert.NotNull(filter.CreatedFrom);
        Assert.Equal(
            [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated],
            filter.Statuses!.Order());
    }
}
