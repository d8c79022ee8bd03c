using System.Globalization;
using System.Text.Json.Nodes;
using DashScope.Simulator;
using WanFunctions.Jobs;
using WanFunctions.Workflow;

namespace WanFunctions.Bench;

/// <summary>
/// Four poll schedules side by side over the same tasks: queries per job and detection latency (the time between the
/// provider finishing and the query that sees it), in provider-scale seconds. A simulation of schedules, not a
/// wall-clock run: the tasks' PENDING and RUNNING times come from the simulator's <see cref="TimingModel"/> (the code
/// the simulator runs) over a mix of job classes, and the learned schedule is <see cref="PollSchedule"/> and
/// <see cref="PollStats"/> (the code the orchestrator runs), warmed on earlier tasks of the same mix and measured on fresh
/// ones. A query at time t sees PENDING before the task's start, RUNNING with its <c>scheduled_time</c> until its end,
/// then SUCCEEDED.
/// </summary>
public static class PollingBench
{
    public const double TargetQueriesMedian = 4;
    public const double TargetLatencyMedian = 8;
    public const double TargetLatencyP95 = 20;

    /// <summary>The keys of <c>--json</c> (<c>polling.{key}</c>), in print order.</summary>
    public static readonly IReadOnlyList<(string Key, string Name)> Schedules =
    [
        ("fixed_10s", "provider sample (fixed 10 s)"),
        ("sdk_1_to_5s", "provider SDKs (1 s doubling to 5 s)"),
        ("default", "ours, default (45 s, 15 s ×1.5 to 60 s)"),
        ("learned", "ours, learned per class"),
    ];

    public sealed record Figures(double QueriesMedian, double QueriesP95, double LatencyMedianSeconds, double LatencyP95Seconds);

    /// <summary>The figures per schedule key, and how many measured jobs had a learned plan (the rest fell back).</summary>
    public sealed record Result(int WarmJobs, int Jobs, int Classes, int LearnedJobs, IReadOnlyDictionary<string, Figures> BySchedule);

    private static readonly DateTime Epoch = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static Result Run(BenchOptions options, Report report)
    {
        Report.Section($"Polling: {options.PollingJobs} jobs over a mix of job classes after {options.PollingWarmup} warm-up jobs " +
            "(simulator TimingModel: class median, log-normal σ 0.3, PENDING 0–60 s), provider-scale seconds");
        var result = Simulate(options.PollingWarmup, options.PollingJobs, options.PollingSeed);
        Report.Line($"{result.Classes} classes; {result.LearnedJobs} of {result.Jobs} measured jobs had a learned plan (the rest: default schedule)");
        Report.Line($"{"schedule",-42} {"queries/job p50",16} {"p95",5} {"latency p50",12} {"p95",7}");
        foreach (var (key, name) in Schedules)
        {
            var f = result.BySchedule[key];
            Report.Line(string.Create(CultureInfo.InvariantCulture,
                $"{name,-42} {f.QueriesMedian,16:0.#} {f.QueriesP95,5:0.#} {f.LatencyMedianSeconds,11:0.0}s {f.LatencyP95Seconds,6:0.0}s"));
        }

        var learned = result.BySchedule["learned"];
        report.Target("learned: queries per job, median", learned.QueriesMedian, TargetQueriesMedian, "", lowerIsBetter: true, inclusive: true);
        report.Target("learned: detection latency, median", learned.LatencyMedianSeconds, TargetLatencyMedian, "s", lowerIsBetter: true, inclusive: true);
        report.Target("learned: detection latency, p95", learned.LatencyP95Seconds, TargetLatencyP95, "s", lowerIsBetter: true, inclusive: true);
        return result;
    }

    /// <summary><c>{"fixed_10s": {"queries_median", "queries_p95", "latency_median_s", "latency_p95_s"}, …}</c>.</summary>
    public static JsonObject ToJson(Result result)
    {
        var json = new JsonObject();
        foreach (var (key, _) in Schedules)
        {
            var f = result.BySchedule[key];
            json[key] = new JsonObject
            {
                ["queries_median"] = f.QueriesMedian,
                ["queries_p95"] = f.QueriesP95,
                ["latency_median_s"] = Math.Round(f.LatencyMedianSeconds, 2),
                ["latency_p95_s"] = Math.Round(f.LatencyP95Seconds, 2),
            };
        }

        return json;
    }

    /// <summary>Warms the learned tables on <paramref name="warmJobs"/> tasks, then measures every schedule on <paramref name="jobs"/> fresh ones.</summary>
    public static Result Simulate(int warmJobs, int jobs, int seed = 12345, WorkflowOptions? settings = null)
    {
        var workflow = settings ?? new WorkflowOptions();
        var fallback = workflow.ToSchedule();
        var timing = new TimingModel(new SimulatorOptions { RandomSeed = seed });
        var mix = new Random(seed);
        var tables = new Dictionary<string, PollStats>(StringComparer.Ordinal);

        (string Class, double Pending, double Running) Next(long sequence)
        {
            var job = NextClass(mix);
            var (pending, running) = timing.Plan(sequence, job, FaultMarkers.None);
            return (ClassKey(job), pending.TotalSeconds, running.TotalSeconds);
        }

        for (var i = 1; i <= warmJobs; i++)
        {
            var (cls, pending, running) = Next(i);
            Table(tables, cls).Add(new PollSample($"warm-{i}", running, pending + running), workflow.LearnedPollSampleCapacity);
        }

        var runs = new Dictionary<string, List<(int Queries, double Latency)>>(StringComparer.Ordinal);
        foreach (var (key, _) in Schedules)
        {
            runs[key] = [];
        }

        var learnedJobs = 0;
        for (var i = 1; i <= jobs; i++)
        {
            var (cls, pending, running) = Next(warmJobs + i);
            var plan = Table(tables, cls).ToPlan(workflow);
            learnedJobs += plan.IsLearned ? 1 : 0;
            runs["fixed_10s"].Add(Poll(pending, running, (now, polls, _, _) => now + 10));
            runs["sdk_1_to_5s"].Add(Poll(pending, running, (now, polls, _, _) => now + Math.Min(5, Math.Pow(2, polls))));
            runs["default"].Add(Poll(pending, running, (now, polls, _, _) => now + PollDelays.Next(fallback, polls).TotalSeconds));
            runs["learned"].Add(Poll(pending, running, (now, polls, started, notRunning) =>
                Seconds(PollSchedule.NextPollAt(fallback, plan, At(now), polls, started is { } s ? At(s) : null, At(notRunning), Epoch))));

            // Finished runs teach the table, as RecordPollSample does.
            Table(tables, cls).Add(new PollSample($"job-{i}", running, pending + running), workflow.LearnedPollSampleCapacity);
        }

        var figures = runs.ToDictionary(r => r.Key, r => new Figures(
            Stats.Median(r.Value.Select(x => (double)x.Queries)), Stats.Percentile(r.Value.Select(x => (double)x.Queries), 95),
            Stats.Median(r.Value.Select(x => x.Latency)), Stats.Percentile(r.Value.Select(x => x.Latency), 95)), StringComparer.Ordinal);
        return new Result(warmJobs, jobs, tables.Count, learnedJobs, figures);
    }

    /// <summary>
    /// Queries one task (PENDING for <paramref name="pending"/> s from the submit at 0, then RUNNING for
    /// <paramref name="running"/> s) at the times <paramref name="next"/> gives (now, polls so far, known start, last
    /// PENDING look), tracking the start as the orchestrator does (<see cref="PollSchedule.ObserveStart"/>).
    /// Returns the queries made and the detection latency. Bounded by the 30-minute deadline.
    /// </summary>
    private static (int Queries, double Latency) Poll(double pending, double running, Func<double, int, double?, double, double> next)
    {
        var end = pending + running;
        double? started = null;
        var notRunning = 0.0;
        var now = 0.0;
        for (var polls = 0; polls < 10_000; polls++)
        {
            now = next(now, polls, started, notRunning);
            if (now >= end)
            {
                return (polls + 1, now - end);
            }

            var seen = PollSchedule.ObserveStart(started is { } s ? At(s) : null, At(notRunning), now < pending,
                now < pending ? null : At(pending), At(now));
            started = seen.RunStartedAt is { } r ? Seconds(r) : null;
            notRunning = Seconds(seen.NotRunningAt);
        }

        throw new InvalidOperationException($"A schedule made 10 000 queries for a {end:0} s task.");
    }

    /// <summary>
    /// The mix: both models, both tiers (<c>1280*720</c>, <c>1920*1080</c>), 5 or 10 s, audio or silent (silent only on
    /// the flash model), 0–3 video references, each uniformly: 48 classes.
    /// </summary>
    private static SimJobClass NextClass(Random mix)
    {
        var flash = mix.Next(2) == 0;
        return new SimJobClass(flash ? SubmitValidator.FlashModel : SubmitValidator.StandardModel,
            mix.Next(2) == 0 ? "1280*720" : "1920*1080", mix.Next(2) == 0 ? 5 : 10, !flash || mix.Next(2) == 0, mix.Next(4));
    }

    /// <summary>The workflow's class key (<see cref="PollClass"/>) of a simulator class.</summary>
    private static string ClassKey(SimJobClass job) => PollClass.Of(new ValidatedJob(job.Model, "", null,
        Enumerable.Repeat(new ValidatedReference("https://example.com/v.mp4", null, ReferenceKind.Video), job.VideoReferences).ToList(),
        job.Size, job.Duration, job.Audio, "single", false, null, null, 0));

    private static PollStats Table(Dictionary<string, PollStats> tables, string cls) =>
        tables.TryGetValue(cls, out var table) ? table : tables[cls] = new PollStats { ClassKey = cls };

    private static DateTime At(double seconds) => Epoch.AddSeconds(seconds);

    private static double Seconds(DateTime at) => (at - Epoch).TotalSeconds;
}
