using Microsoft.Extensions.Options;
using Moq;
using WanFunctions.Workflow;
using WanFunctions.Workflow.Activities;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>The activities that read and feed the learned poll tables.</summary>
public class PollPlanActivityTests
{
    private static readonly IOptions<WorkflowOptions> Options = Microsoft.Extensions.Options.Options.Create(new WorkflowOptions());

    [Fact]
    public async Task A_run_is_recorded_with_its_whole_wait_rounded_to_milliseconds()
    {
        var store = new Mock<IPollStatsStore>();
        store.Setup(s => s.AddAsync("c", It.IsAny<PollSample>(), 200, It.IsAny<CancellationToken>())).ReturnsAsync(true);

        Assert.True(await new RecordPollSampleActivity(store.Object, Options).RunAsync(new PollSampleInput("c", "t1", 70.12345, 101.98765), default));
        Assert.True(await new RecordPollSampleActivity(store.Object, Options).RunAsync(new PollSampleInput("c", "t2", 70), default));

        store.Verify(s => s.AddAsync("c", new PollSample("t1", 70.123, 101.988), 200, It.IsAny<CancellationToken>()), Times.Once);
        store.Verify(s => s.AddAsync("c", new PollSample("t2", 70, null), 200, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(double.NaN, null)]
    [InlineData(70, 69.9)]
    [InlineData(70, double.PositiveInfinity)]
    [InlineData(70, double.NaN)]
    [InlineData(86_401, null)] // longer than a provider task lives: a bogus timestamp
    [InlineData(70, 1e300)]
    public async Task A_run_time_or_whole_wait_that_cannot_be_true_is_refused_and_nothing_is_written(double seconds, double? total)
    {
        var store = new Mock<IPollStatsStore>(MockBehavior.Strict);

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            new RecordPollSampleActivity(store.Object, Options).RunAsync(new PollSampleInput("c", "t1", seconds, total), default));

        Assert.Contains("t1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_plan_is_the_tables_plan_under_the_current_settings()
    {
        var stats = new PollStats { ClassKey = "c" };
        for (var i = 0; i < 20; i++)
        {
            stats.Add(new PollSample($"t{i}", 60 + i, 90 + i), 200);
        }

        var store = new Mock<IPollStatsStore>();
        store.Setup(s => s.ReadAsync("c", It.IsAny<CancellationToken>())).ReturnsAsync(stats);

        var plan = await new GetPollPlanActivity(store.Object, Options).RunAsync("c", default);

        Assert.True(plan.IsLearned);
        Assert.Equal((60, 79, 90, 109), (plan.RunQuantiles![0], plan.RunQuantiles[^1], plan.TotalQuantiles![0], plan.TotalQuantiles[^1]));
        Assert.Equal(Options.Value.LearnedPollMaxGap, plan.MaxGap);
    }
}
