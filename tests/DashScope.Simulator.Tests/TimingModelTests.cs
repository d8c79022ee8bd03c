using DashScope.Simulator;

namespace DashScope.Simulator.Tests;

/// <summary>The class model of generation time: medians by class, log-normal noise, a reproducible seed, independent PENDING.</summary>
public class TimingModelTests
{
    private static readonly SimJobClass Flash720 = new(SubmitValidator.FlashModel, "1280*720", 5, Audio: true, VideoReferences: 1);

    /// <summary>Plans <paramref name="n"/> tasks of one class, with the total left unclamped (so the noise is seen whole).</summary>
    private static (double Pending, double Running)[] Draw(SimJobClass job, int n, int seed = 12345, Action<SimulatorOptions>? configure = null)
    {
        var options = new SimulatorOptions { RandomSeed = seed, MinTotalSeconds = 0, MaxTotalSeconds = 100_000 };
        configure?.Invoke(options);
        var model = new TimingModel(options);
        return Enumerable.Range(1, n)
            .Select(i => model.Plan(i, job, FaultMarkers.None))
            .Select(p => (p.Pending.TotalSeconds, p.Running.TotalSeconds))
            .ToArray();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return (sorted[(sorted.Length - 1) / 2] + sorted[sorted.Length / 2]) / 2;
    }

    [Theory]
    [InlineData(SubmitValidator.FlashModel, "1280*720", 2, false, 0, 49.2)]
    [InlineData(SubmitValidator.FlashModel, "1280*720", 5, true, 1, 72.6)]
    [InlineData(SubmitValidator.FlashModel, "1920*1080", 5, true, 0, 92.4)]
    [InlineData(SubmitValidator.StandardModel, "1440*1440", 10, true, 3, 203.0)]
    public void Class_medians_follow_the_documented_formula(string model, string size, int duration, bool audio, int videos, double expected)
    {
        var job = new SimJobClass(model, size, duration, audio, videos);
        Assert.Equal(expected, TimingModel.MedianRunningSeconds(job), 1);

        // The drawn RUNNING times centre on it (4000 draws: the sample median is within 3 %).
        var median = Median(Draw(job, 4000).Select(d => d.Running));
        Assert.InRange(median / expected, 0.97, 1.03);
    }

    [Fact]
    public void Running_is_log_normal_with_the_configured_sigma()
    {
        var logs = Draw(Flash720, 4000).Select(d => Math.Log(d.Running)).ToArray();
        var mean = logs.Average();
        var sigma = Math.Sqrt(logs.Sum(l => (l - mean) * (l - mean)) / (logs.Length - 1));
        Assert.InRange(sigma, 0.28, 0.32);
        Assert.InRange(Math.Exp(mean) / TimingModel.MedianRunningSeconds(Flash720), 0.98, 1.02);

        var wider = Draw(Flash720, 4000, configure: o => o.RunningSigma = 0.5).Select(d => Math.Log(d.Running)).ToArray();
        var wideMean = wider.Average();
        Assert.InRange(Math.Sqrt(wider.Sum(l => (l - wideMean) * (l - wideMean)) / (wider.Length - 1)), 0.47, 0.53);
    }

    [Fact]
    public void The_same_seed_gives_the_same_timings_and_another_seed_others()
    {
        Assert.Equal(Draw(Flash720, 50, seed: 7), Draw(Flash720, 50, seed: 7));
        Assert.NotEqual(Draw(Flash720, 50, seed: 7), Draw(Flash720, 50, seed: 8));
    }

    [Fact]
    public void Pending_is_uniform_up_to_a_minute_and_independent_of_running()
    {
        var draws = Draw(Flash720, 4000);
        var pending = draws.Select(d => d.Pending).ToArray();
        Assert.All(pending, p => Assert.InRange(p, 0, 60));
        Assert.InRange(pending.Average(), 28, 32);
        Assert.InRange(pending.Count(p => p < 15) / 4000.0, 0.22, 0.28);

        // No correlation between the queue and the generation (|r| well below 0.1 for 4000 independent draws).
        var running = draws.Select(d => d.Running).ToArray();
        double mp = pending.Average(), mr = running.Average();
        var r = pending.Zip(running).Sum(x => (x.First - mp) * (x.Second - mr))
            / Math.Sqrt(pending.Sum(p => (p - mp) * (p - mp)) * running.Sum(x => (x - mr) * (x - mr)));
        Assert.InRange(r, -0.06, 0.06);
    }

    [Fact]
    public void Fixed_times_and_markers_override_the_class_model_and_the_total_stays_within_bounds()
    {
        var model = new TimingModel(new SimulatorOptions { PendingSeconds = 3, RunningSeconds = 4, SpeedFactor = 0.5 });
        Assert.Equal((TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(2)), model.Plan(1, Flash720, FaultMarkers.None));
        Assert.Equal((TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(5)), model.Plan(1, Flash720, FaultMarkers.None with { RunningSeconds = 10 }));

        var bounded = new TimingModel(new SimulatorOptions());
        var big = new SimJobClass(SubmitValidator.StandardModel, "1920*1080", 10, true, 3);
        Assert.All(Enumerable.Range(1, 500).Select(i => bounded.Plan(i, big, FaultMarkers.None)),
            p => Assert.InRange((p.Pending + p.Running).TotalSeconds, 60 - 1e-6, 300 + 1e-6));
    }
}
