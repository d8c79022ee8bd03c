using System.Globalization;
using System.Text.Json.Serialization;
using WanFunctions.Jobs;

namespace WanFunctions.Workflow;

/// <summary>
/// The job's class for learning generation times: what the provider's generation time depends on (model, resolution
/// tier, output duration, audio, number of video references), e.g. <c>wan2.6-r2v-flash.1080p.5s.audio.v1</c>.
/// </summary>
public static class PollClass
{
    public static string Of(ValidatedJob job)
    {
        var tier = ModelCatalog.Sizes.Skip(5).Contains(job.Size) ? "1080p" : "720p";
        var videos = job.References.Count(r => r.Kind == ReferenceKind.Video);
        return string.Create(CultureInfo.InvariantCulture,
            $"{job.Model}.{tier}.{job.Duration}s.{(job.Audio ? "audio" : "silent")}.v{videos}");
    }
}

/// <summary>
/// The schedule a job polls by, returned once by the <c>GetPollPlan</c> activity and kept in the job's history (and
/// its input across ContinueAsNew). <see cref="RunQuantiles"/> are the class's learned RUNNING times in seconds
/// (provider <c>end_time − scheduled_time</c>) at evenly spaced probabilities 0, 1/(n−1), …, 1; null while the class
/// has fewer than <c>Workflow:LearnedPollMinSamples</c> samples, and the job then polls on today's schedule
/// (<see cref="PollDelays"/>). <see cref="TotalQuantiles"/> are the same for the whole wait from the submit
/// (<c>end_time − submit_time</c>: PENDING and RUNNING), null while fewer samples carry it (tables written before it
/// was recorded). <see cref="FirstQuantile"/>, <see cref="StepQuantile"/> (probabilities) and the gaps (floor and
/// ceiling between two queries) are the settings at the time the plan was made.
/// </summary>
public sealed record PollPlan(
    [property: JsonPropertyName("classKey")] string ClassKey,
    [property: JsonPropertyName("samples")] int Samples,
    [property: JsonPropertyName("runQuantiles")] IReadOnlyList<double>? RunQuantiles,
    [property: JsonPropertyName("firstQuantile")] double FirstQuantile,
    [property: JsonPropertyName("stepQuantile")] double StepQuantile,
    [property: JsonPropertyName("minGap")] TimeSpan MinGap,
    [property: JsonPropertyName("maxGap")] TimeSpan MaxGap,
    [property: JsonPropertyName("totalQuantiles")] IReadOnlyList<double>? TotalQuantiles = null)
{
    [JsonIgnore]
    public bool IsLearned => RunQuantiles is { Count: >= 2 };

    /// <summary>Today's schedule for <paramref name="classKey"/>: nothing learned.</summary>
    public static PollPlan Fallback(string classKey, int samples = 0) =>
        new(classKey, samples, null, 0, 0, TimeSpan.Zero, TimeSpan.Zero);
}

/// <summary>
/// When to look next. Pure: the orchestrator and the bench (tests/WanFunctions.Bench, polling) run this same code.
/// <para>
/// Learned plan. Before any look: the first query goes to the submit + the <see cref="PollPlan.FirstQuantile"/>
/// quantile of the class's whole wait (<see cref="PollPlan.TotalQuantiles"/>, PENDING included), or of its run time
/// when no whole waits are learned yet. A PENDING answer: the run starts later still, so the next query goes to that
/// look + the first quantile of the run time. Once a look has seen the task at work, the clock starts at its start (the
/// provider's <c>scheduled_time</c>): run for e seconds without finishing, the next query goes to start + the quantile
/// F(e) + <see cref="PollPlan.StepQuantile"/> × (1 − F(e)) of the run time, i.e. a fixed share of the remaining
/// (conditional) distribution; while e is below the shortest learned run (F = 0), to the first quantile.
/// </para>
/// <para>
/// Every gap is at least <see cref="PollPlan.MinGap"/>. <see cref="PollPlan.MaxGap"/> bounds the gaps once the task may
/// finish (F(e) &gt; 0), so it bounds the detection latency of tasks that finish after a look has seen them at work; a
/// look placed at the first quantile is not pulled earlier by it (the ceiling there made long classes spend most of
/// their queries before the shortest run could end). The price: the share of tasks that finish before their first look
/// (about the first quantile, 10 %) wait for it, up to the gap between that quantile and their end (polling bench:
/// detection latency p95 17 s, p99 29 s, longest 72 s, where the ceiling on every gap kept the longest at 24 s for
/// 7 queries a job instead of 4). Past the longest learned time the gap is the overrun so far, between the floor and
/// the ceiling (a task that only just passed it is due: the ceiling's 18 s would be the wait of a near miss).
/// </para>
/// </summary>
public static class PollSchedule
{
    /// <summary>
    /// The next query's time (UTC). <paramref name="now"/>: the current time (orchestration time);
    /// <paramref name="pollsSoFar"/>: queries made; <paramref name="runStartedAt"/>: when the task started running
    /// (null while unknown); <paramref name="notRunningAt"/>: the last moment it was known not to run yet (the submit,
    /// or a query that saw it PENDING); <paramref name="submittedAt"/>: the provider's acceptance of the task.
    /// </summary>
    public static DateTime NextPollAt(PollingSchedule fallback, PollPlan? plan, DateTime now, int pollsSoFar,
        DateTime? runStartedAt, DateTime notRunningAt, DateTime submittedAt)
    {
        if (plan is not { IsLearned: true, RunQuantiles: { } quantiles })
        {
            // The first look counts from the submit: the steps between it and the polling (the plan's fetch) take nothing off.
            return pollsSoFar > 0 ? now + PollDelays.Next(fallback, pollsSoFar)
                : submittedAt + fallback.FirstPollDelay > now ? submittedAt + fallback.FirstPollDelay : now;
        }

        if (runStartedAt is { } started)
        {
            var elapsed = Math.Max(0, (now - started).TotalSeconds);
            var excluded = Cdf(quantiles, elapsed);
            if (excluded >= 1)
            {
                // Longer than every learned run: it is due, or an outlier. Look again after as long as it has overrun,
                // within the floor and the ceiling: soon when it only just passed the longest run, at the ceiling's pace
                // when it is far past it.
                var overrun = TimeSpan.FromSeconds(elapsed - quantiles[^1]);
                return now + (overrun < plan.MinGap ? plan.MinGap : overrun > plan.MaxGap ? plan.MaxGap : overrun);
            }

            if (excluded <= 0)
            {
                return AtLeastFloor(plan, now, started + TimeSpan.FromSeconds(Quantile(quantiles, plan.FirstQuantile)));
            }

            var target = (started - now).TotalSeconds + Quantile(quantiles, excluded + plan.StepQuantile * (1 - excluded));
            return now + TimeSpan.FromSeconds(Math.Clamp(target, plan.MinGap.TotalSeconds, plan.MaxGap.TotalSeconds));
        }

        // Not seen at work yet: it cannot be done before its start (later than notRunningAt) plus its run time.
        return notRunningAt <= submittedAt && plan.TotalQuantiles is { Count: >= 2 } totals
            ? AtLeastFloor(plan, now, submittedAt + TimeSpan.FromSeconds(Quantile(totals, plan.FirstQuantile)))
            : AtLeastFloor(plan, now, notRunningAt + TimeSpan.FromSeconds(Quantile(quantiles, plan.FirstQuantile)));
    }

    private static DateTime AtLeastFloor(PollPlan plan, DateTime now, DateTime target) =>
        target - now < plan.MinGap ? now + plan.MinGap : target;

    /// <summary>
    /// What a look at a task still at work tells about its start. A PENDING answer moves the last moment it was known
    /// not to run (<paramref name="notRunningAt"/>) to the look (<paramref name="lookedAt"/>, the moment before the
    /// query was sent). The first look that finds it at work fixes the start at the provider's
    /// <paramref name="scheduledTime"/>, held between the last PENDING look and this one (clocks differ), or at the last
    /// PENDING look (the submit) when the provider reports none. Later looks change nothing.
    /// </summary>
    public static (DateTime? RunStartedAt, DateTime NotRunningAt) ObserveStart(DateTime? runStartedAt, DateTime notRunningAt,
        bool pending, DateTime? scheduledTime, DateTime lookedAt)
    {
        if (pending)
        {
            return (runStartedAt, lookedAt > notRunningAt ? lookedAt : notRunningAt);
        }

        if (runStartedAt is not null)
        {
            return (runStartedAt, notRunningAt);
        }

        var start = scheduledTime ?? notRunningAt;
        start = start < notRunningAt ? notRunningAt : start;
        return (start > lookedAt && lookedAt >= notRunningAt ? lookedAt : start, notRunningAt);
    }

    /// <summary>The run time at probability <paramref name="p"/> (0..1), linear between the plan's points.</summary>
    public static double Quantile(IReadOnlyList<double> quantiles, double p)
    {
        var position = Math.Clamp(p, 0, 1) * (quantiles.Count - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, quantiles.Count - 1);
        return quantiles[low] + (quantiles[high] - quantiles[low]) * (position - low);
    }

    /// <summary>The probability that a run takes at most <paramref name="seconds"/>: the inverse of <see cref="Quantile"/>.</summary>
    public static double Cdf(IReadOnlyList<double> quantiles, double seconds)
    {
        if (seconds < quantiles[0])
        {
            return 0;
        }

        var last = quantiles.Count - 1;
        if (seconds >= quantiles[last])
        {
            return 1;
        }

        var i = 0;
        while (quantiles[i + 1] <= seconds)
        {
            i++;
        }

        var width = quantiles[i + 1] - quantiles[i];
        return (i + (width > 0 ? (seconds - quantiles[i]) / width : 0)) / last;
    }
}
