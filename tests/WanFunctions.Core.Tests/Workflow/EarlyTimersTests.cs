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

    /// <summary>
    /// A clock at <see cref="Now"/> that moves only with its timers: each fires at once, recording the delay asked for,
    /// and moves the clock by that delay; the first one <paramref name="firstEarlyMs"/> less (the runtime's timers may fire
    /// a little early).
    /// </summary>
    private sealed class RecordingTime(double firstEarlyMs = 0) : TimeProvider
    {
        private DateTime now = Now;

        public List<TimeSpan> Delays { get; } = [];

        public override DateTimeOffset GetUtcNow()
        {
            lock (Delays)
            {
                return new(now);
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (Delays)
            {
                var early = TimeSpan.FromMilliseconds(Delays.Count == 0 ? Math.Min(firstEarlyMs, dueTime.TotalMilliseconds) : 0);
                Delays.Add(dueTime);
                now += dueTime - early;
            }

            return System.CreateTimer(callback, state, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(-500, null)] // the moment has passed: no wait
    [InlineData(700, 700)]
    [InlineData(5000, 2000)] // bounded: an activity never waits longer than MaxWait
    public async Task Waits_for_the_rest_of_the_moment_bounded(int? aheadMs, int? expectedMs)
    {
        var time = new RecordingTime();

        await EarlyTimers.WaitUntilAsync(aheadMs is { } ms ? Now.AddMilliseconds(ms) : null, time, CancellationToken.None);

        Assert.Equal(expectedMs is { } e ? [TimeSpan.FromMilliseconds(e)] : [], time.Delays);
    }

    [Fact]
    public async Task A_timer_that_fires_a_few_milliseconds_early_is_followed_by_a_wait_for_the_rest()
    {
        // The runtime's timers count a coarse clock: this one fires 3 ms early. The rest is waited out before the query.
        var time = new RecordingTime(firstEarlyMs: 3);

        await EarlyTimers.WaitUntilAsync(Now.AddMilliseconds(700), time, CancellationToken.None);

        Assert.Equal([TimeSpan.FromMilliseconds(700), TimeSpan.FromMilliseconds(3)], time.Delays);
        Assert.True(time.GetUtcNow().UtcDateTime >= Now.AddMilliseconds(700));
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
        Assert.Equal([TimeSpan.FromMilliseconds(800)], time.Delays);
    }
}
