using WanFunctions.Jobs;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>The learned poll schedule (pure) and the per-class table it is made from.</summary>
public class PollScheduleTests
{
    private static readonly DateTime T0 = new(2026, 3, 1, 8, 0, 0, DateTimeKind.Utc);

    /// <summary>Run times 0, 2, 4, …, 100 s at p = 0, 0.02, …, 1: the quantile at p is 100 p seconds.</summary>
    private static readonly double[] Linear = Enumerable.Range(0, 51).Select(i => i * 2.0).ToArray();

    private static PollPlan Plan(double[]? quantiles = null, double first = 0.1, double step = 0.3, double minGap = 1, double maxGap = 60,
        double[]? totals = null) =>
        new("flash.720p.5s.audio.v0", 50, quantiles ?? Linear, first, step, TimeSpan.FromSeconds(minGap), TimeSpan.FromSeconds(maxGap), totals);

    /// <summary>The gap to the next query of a task submitted at <see cref="T0"/>.</summary>
    private static double GapAfter(PollPlan? plan, DateTime now, int polls = 0, DateTime? runStartedAt = null, DateTime? notRunningAt = null) =>
        (PollSchedule.NextPollAt(DefaultSchedule, plan, now, polls, runStartedAt, notRunningAt ?? T0, T0) - now).TotalSeconds;

    [Theory]
    [InlineData(0, 45)]
    [InlineData(1, 15)]
    [InlineData(2, 22.5)]
    [InlineData(4, 50.625)]
    [InlineData(9, 60)]
    public void Without_a_learned_plan_the_default_schedule_runs(int polls, double expected)
    {
        Assert.Equal(expected, GapAfter(null, T0, polls), 6);
        Assert.Equal(expected, GapAfter(PollPlan.Fallback("c", samples: 19), T0, polls), 6);
    }

    [Fact]
    public void Without_a_learned_plan_the_first_query_counts_from_the_submit_not_from_when_polling_starts()
    {
        // The plan's fetch took 3 s after the submit: the first look still goes 45 s after the submit.
        Assert.Equal(42, GapAfter(null, T0.AddSeconds(3)), 6);

        // Polling started after the first look's moment (a long backlog): look now, not 45 s later.
        Assert.Equal(0, GapAfter(null, T0.AddSeconds(50)), 6);
    }

    [Fact]
    public void The_first_query_goes_to_the_first_quantile_counted_from_the_submit()
    {
        Assert.Equal(10, GapAfter(Plan(), T0), 6);
        Assert.Equal(25, GapAfter(Plan(first: 0.25), T0), 6);
    }

    [Fact]
    public void With_learned_whole_waits_the_first_query_goes_to_their_first_quantile()
    {
        // Whole waits (PENDING + RUNNING) 30 … 130 s: the 0.1 quantile is 40 s after the submit, not the run's 10 s.
        var totals = Linear.Select(s => s + 30).ToArray();
        Assert.Equal(40, GapAfter(Plan(totals: totals), T0), 6);

        // A query that failed at +5 s (no answer): the first look still goes to +40.
        Assert.Equal(35, GapAfter(Plan(totals: totals), T0.AddSeconds(5), polls: 1), 6);
    }

    [Fact]
    public void A_pending_answer_moves_the_origin_to_that_look()
    {
        // Seen PENDING at +10 s: the run starts later still, so the next look is 10 s (the 0.1 quantile) after it.
        Assert.Equal(10, GapAfter(Plan(), T0.AddSeconds(10), polls: 1, notRunningAt: T0.AddSeconds(10)), 6);

        // Also when whole waits are learned: they counted from the submit, and the task has already waited.
        Assert.Equal(10, GapAfter(Plan(totals: Linear.Select(s => s + 30).ToArray()), T0.AddSeconds(40), polls: 1,
            notRunningAt: T0.AddSeconds(40)), 6);
    }

    [Fact]
    public void Once_running_each_query_goes_a_share_into_the_remaining_distribution()
    {
        // Started at +5 s, now +35 s: 30 s run, F = 0.3; next at 0.3 + 0.3 × 0.7 = 0.51 → 51 s after the start.
        var started = T0.AddSeconds(5);
        var now = started.AddSeconds(30);
        Assert.Equal(21, GapAfter(Plan(), now, polls: 2, runStartedAt: started), 6);

        // Seen running for less than the shortest learned run (F = 0): the next look is the first quantile from the start.
        var shifted = Linear.Select(s => s + 20).ToArray();
        Assert.Equal(30 - 4, GapAfter(Plan(shifted), started.AddSeconds(4), polls: 1, runStartedAt: started), 6);
    }

    [Fact]
    public void Gaps_are_held_between_the_floor_and_the_ceiling()
    {
        Assert.Equal(12, GapAfter(Plan(minGap: 12), T0), 6);

        // Running 30 s (F = 0.3), a 1 % step: 30.7 s, 0.7 s away, so the floor applies.
        Assert.Equal(3, GapAfter(Plan(minGap: 3, step: 0.01), T0.AddSeconds(30), polls: 1, runStartedAt: T0), 6);

        // Running 30 s (F = 0.3): the next at 51 s, 21 s away, held to a 7 s ceiling.
        Assert.Equal(7, GapAfter(Plan(maxGap: 7), T0.AddSeconds(30), polls: 1, runStartedAt: T0), 6);
    }

    [Fact]
    public void The_ceiling_does_not_pull_a_look_at_the_first_quantile_earlier()
    {
        // A look before the task can be done only costs a query: the first look stays at the 0.1 quantile (10 s) …
        Assert.Equal(10, GapAfter(Plan(maxGap: 7), T0), 6);
        Assert.Equal(40, GapAfter(Plan(maxGap: 7, totals: Linear.Select(s => s + 30).ToArray()), T0), 6);

        // … and so does the look after one that found it running for less than the shortest run (F = 0): 20 + 10 s.
        var shifted = Linear.Select(s => s + 20).ToArray();
        Assert.Equal(26, GapAfter(Plan(shifted, maxGap: 7), T0.AddSeconds(4), polls: 1, runStartedAt: T0), 6);
    }

    [Fact]
    public void Past_the_longest_learned_run_the_next_look_waits_as_long_as_it_has_overrun_within_floor_and_ceiling()
    {
        // Far past the longest run (100 s): the ceiling paces the queries.
        Assert.Equal(60, GapAfter(Plan(), T0.AddSeconds(200), polls: 5, runStartedAt: T0), 6);

        // 20 s past it: 20 s.
        Assert.Equal(20, GapAfter(Plan(), T0.AddSeconds(120), polls: 3, runStartedAt: T0), 6);

        // Every learned run took exactly 4 s and a look 10 ms before the end found it running; planned a few ms past
        // the 4 s: it is due, so the floor, not the ceiling's 18 s.
        var exact = Enumerable.Repeat(4.0, 51).ToArray();
        Assert.Equal(2, GapAfter(Plan(exact, minGap: 2, maxGap: 18), T0.AddSeconds(4.011), polls: 1, runStartedAt: T0), 6);
    }

    [Fact]
    public void Quantile_and_cdf_are_inverse_and_clamped()
    {
        double[] q = [10, 20, 20, 40, 80];
        Assert.Equal(10, PollSchedule.Quantile(q, -1));
        Assert.Equal(80, PollSchedule.Quantile(q, 2));
        Assert.Equal(30, PollSchedule.Quantile(q, 0.625), 6);
        Assert.Equal(0, PollSchedule.Cdf(q, 9));
        Assert.Equal(1, PollSchedule.Cdf(q, 80));
        foreach (var p in new[] { 0.1, 0.625, 0.9 })
        {
            Assert.Equal(p, PollSchedule.Cdf(q, PollSchedule.Quantile(q, p)), 6);
        }
    }

    [Fact]
    public void The_schedule_is_a_function_of_its_inputs()
    {
        var plan = Plan();
        var a = PollSchedule.NextPollAt(DefaultSchedule, plan, T0.AddSeconds(40), 3, T0.AddSeconds(7), T0.AddSeconds(5), T0);
        var b = PollSchedule.NextPollAt(DefaultSchedule, plan with { }, T0.AddSeconds(40), 3, T0.AddSeconds(7), T0.AddSeconds(5), T0);
        Assert.Equal(a, b);
    }

    [Fact]
    public void The_table_keeps_the_latest_runs_and_counts_a_task_once()
    {
        var stats = new PollStats { ClassKey = "c" };
        for (var i = 0; i < 25; i++)
        {
            Assert.True(stats.Add(new PollSample($"t{i}", 100 + i), capacity: 20));
        }

        Assert.False(stats.Add(new PollSample("t24", 999), capacity: 20));
        Assert.Equal(20, stats.Samples.Count);
        Assert.Equal(Enumerable.Range(5, 20).Select(i => $"t{i}"), stats.Samples.Select(s => s.TaskId));
    }

    [Fact]
    public void A_class_with_few_samples_gets_the_fallback_plan()
    {
        var options = new WorkflowOptions { LearnedPollMinSamples = 20 };
        var stats = new PollStats { ClassKey = "c" };
        for (var i = 0; i < 19; i++)
        {
            stats.Add(new PollSample($"t{i}", 60 + i), 200);
        }

        var few = stats.ToPlan(options);
        Assert.False(few.IsLearned);
        Assert.Equal(19, few.Samples);

        stats.Add(new PollSample("t19", 79), 200);
        var plan = stats.ToPlan(options);
        Assert.True(plan.IsLearned);
        Assert.Equal(51, plan.RunQuantiles!.Count);
        Assert.Equal(60, plan.RunQuantiles[0]);
        Assert.Equal(69.5, plan.RunQuantiles[25], 6);
        Assert.Equal(79, plan.RunQuantiles[50]);
        Assert.Equal((options.LearnedPollFirstQuantile, options.LearnedPollStepQuantile, options.LearnedPollMinGap, options.LearnedPollMaxGap),
            (plan.FirstQuantile, plan.StepQuantile, plan.MinGap, plan.MaxGap));
        Assert.Null(plan.TotalQuantiles); // samples without a whole wait (written before it was kept)
    }

    [Fact]
    public void Whole_waits_are_learned_once_enough_samples_carry_them()
    {
        var options = new WorkflowOptions { LearnedPollMinSamples = 20 };
        var stats = new PollStats { ClassKey = "c" };
        for (var i = 0; i < 10; i++)
        {
            stats.Add(new PollSample($"old{i}", 50), 200); // recorded before whole waits were kept
        }

        for (var i = 0; i < 19; i++)
        {
            stats.Add(new PollSample($"t{i}", 60 + i, 100 + i), 200);
        }

        Assert.True(stats.ToPlan(options).IsLearned);
        Assert.Null(stats.ToPlan(options).TotalQuantiles);

        stats.Add(new PollSample("t19", 79, 119), 200);
        var totals = stats.ToPlan(options).TotalQuantiles!;
        Assert.Equal(51, totals.Count);
        Assert.Equal((100, 109.5, 119), (totals[0], totals[25], totals[50]));
    }

    [Fact]
    public void The_class_names_model_tier_duration_audio_and_video_references()
    {
        Assert.Equal("wan2.6-r2v-flash.720p.5s.audio.v1", PollClass.Of(Job()));
        Assert.Equal("wan2.6-r2v-flash.1080p.10s.silent.v0",
            PollClass.Of(Job() with { Size = "1440*1440", Duration = 10, Audio = false, References = [new("https://example.com/a.png", null, ReferenceKind.Image)] }));
    }
}
