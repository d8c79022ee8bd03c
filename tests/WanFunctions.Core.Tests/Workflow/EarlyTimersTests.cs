using Moq;
using WanFunctions.Core.Tests.DashScope;
using WanFunctions.DashScope;
using WanFunctions.Workflow;
using WanFunctions.Workflow.Activities;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>Activities started by a timer that fired early wait for the timer's moment themselves.</summary>
public class EarlyTimersTests
{
    private static readonly DateTime Now = new(2026, 3, 1, 8, 0, 0, DateTimeKind.Utc);

    /// <summary>A clock fixed at <see cref="Now"/> whose timers fire at once, recording the delays asked for.</summary>
    private sealed class RecordingTime : TimeProvider
    {
        public List<TimeSpan> Delays { get; } = [];

        public override DateTimeOffset GetUtcNow() => new(Now);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (Delays)
            {
                Delays.Add(dueTime);
            }

            return System.CreateTimer(callback, state, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(-500, null)] // the moment has passed: no wait
    [InlineData(700, 701)] // a millisecond more: the runtime's timers may fire that much early
    [InlineData(5000, 2000)] // bounded: an activity never waits longer than MaxWait
    public async Task Waits_for_the_rest_of_the_moment_bounded(int? aheadMs, int? expectedMs)
    {
        var time = new RecordingTime();

        await EarlyTimers.WaitUntilAsync(aheadMs is { } ms ? Now.AddMilliseconds(ms) : null, time, CancellationToken.None);

        Assert.Equal(expectedMs is { } e ? [TimeSpan.FromMilliseconds(e)] : [], time.Delays);
    }

    [Fact]
    public async Task A_check_started_early_queries_only_at_its_planned_moment()
    {
        var time = new RecordingTime();
        var dashScope = new Mock<IDashScopeClient>();
        dashScope.Setup(d => d.GetTaskAsync("t-1", It.IsAny<CancellationToken>()))
            .Callback(() => Assert.Single(time.Delays)) // the wait came first
            .ReturnsAsync(new DashScopeTaskStatus("t-1", DashScopeTaskState.Running));

        var check = await new CheckVideoTaskActivity(new SingleClientFactory(dashScope.Object), time)
            .RunAsync(new ProviderTaskRef("t-1", NotBefore: Now.AddMilliseconds(800)), CancellationToken.None);

        Assert.Equal(DashScopeTaskState.Running, check.State);
        Assert.Equal([TimeSpan.FromMilliseconds(801)], time.Delays);
    }
}
