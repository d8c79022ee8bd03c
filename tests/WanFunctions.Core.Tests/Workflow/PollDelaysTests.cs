using WanFunctions.Workflow;

namespace WanFunctions.Core.Tests.Workflow;

public class PollDelaysTests
{
    private static readonly PollingSchedule Defaults = new WorkflowOptions().ToSchedule();

    [Theory]
    [InlineData(0, 45.0)]      // the first look, near the expected generation time
    [InlineData(1, 15.0)]      // then the provider's suggested interval
    [InlineData(2, 22.5)]      // × 1.5
    [InlineData(3, 33.75)]
    [InlineData(4, 50.625)]
    [InlineData(5, 60.0)]      // 75.9 s capped
    [InlineData(6, 60.0)]
    [InlineData(40, 60.0)]
    [InlineData(5000, 60.0)]   // Math.Pow overflows to infinity: still the cap
    public void Next_with_the_defaults(int pollsSoFar, double expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), PollDelays.Next(Defaults, pollsSoFar));
    }

    [Fact]
    public void Delay_exactly_at_the_cap_is_the_cap()
    {
        var schedule = Defaults with { PollInterval = TimeSpan.FromSeconds(10), BackoffFactor = 2, MaxPollInterval = TimeSpan.FromSeconds(40) };

        Assert.Equal(TimeSpan.FromSeconds(20), PollDelays.Next(schedule, 2));
        Assert.Equal(TimeSpan.FromSeconds(40), PollDelays.Next(schedule, 3));
        Assert.Equal(TimeSpan.FromSeconds(40), PollDelays.Next(schedule, 4));
    }

    [Fact]
    public void Factor_one_keeps_a_fixed_interval()
    {
        var schedule = Defaults with { BackoffFactor = 1.0 };

        Assert.All(Enumerable.Range(1, 50), n => Assert.Equal(TimeSpan.FromSeconds(15), PollDelays.Next(schedule, n)));
    }

    [Fact]
    public void Default_schedule_stays_within_about_32_queries_in_30_minutes()
    {
        var elapsed = TimeSpan.Zero;
        var polls = 0;
        while (elapsed < Defaults.Deadline)
        {
            elapsed += PollDelays.Next(Defaults, polls++);
        }

        Assert.InRange(polls, 25, 33);
    }
}
