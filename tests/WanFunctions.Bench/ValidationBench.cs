using System.Diagnostics;
using WanFunctions.DashScope;
using WanFunctions.Jobs;

namespace WanFunctions.Bench;

/// <summary>JobValidator.Validate on a valid 5-reference job (3 videos, 2 images): ops/s and bytes allocated per call.</summary>
public static class ValidationBench
{
    private const double TargetOpsPerSecond = 20_000;
    private const double TargetBytesPerOp = 16 * 1024;
    private static readonly TimeSpan Round = TimeSpan.FromMilliseconds(500);

    public static readonly VideoJobRequest Job = new()
    {
        Model = "wan2.6-r2v-flash",
        Prompt = "character1 hands character2 a guitar; character3 and character4 dance while character5 films them on a rooftop at sunset.",
        NegativePrompt = "blurry, low quality",
        References =
        [
            new JobReference { Url = "https://example.com/people/alice.mp4" },
            new JobReference { Url = "https://example.com/people/bob.mov?v=2" },
            new JobReference { Blob = "references/cast/carol.mp4" },
            new JobReference { Url = "https://example.com/things/guitar.png" },
            new JobReference { Blob = "references/cast/dave.webp" },
        ],
        Size = "1280*720",
        Duration = 5,
        ShotType = "multi",
        Seed = 42,
        CallbackUrl = "https://example.com/hooks/video",
        IdempotencyKey = "bench-job-0001",
    };

    public static void Run(BenchOptions options, Report report)
    {
        Report.Section("Validation: JobValidator.Validate, 5 references (3 videos, 2 images), single thread");
        var validator = new JobValidator(DashScopeRegion.International);
        var check = validator.Validate(Job);
        if (check.Job is null)
        {
            throw new InvalidOperationException("The bench job does not validate: " +
                string.Join("; ", check.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
        }

        Measure(validator); // warm-up: JIT, tiered compilation, regex
        Measure(validator);
        var opsPerSecond = new List<double>();
        var bytesPerOp = new List<double>();
        for (var i = 0; i < Math.Max(options.Iterations, 7); i++)
        {
            var (ops, bytes) = Measure(validator);
            opsPerSecond.Add(ops);
            bytesPerOp.Add(bytes);
        }

        Report.Line($"throughput: {Stats.Mmm(opsPerSecond, "ops/s", "0")} over {opsPerSecond.Count} rounds of {Round.TotalMilliseconds:0} ms");
        Report.Line($"allocated:  {Stats.Mmm(bytesPerOp, "B/op", "0")}");
        report.Target("validation throughput (median)", Stats.Median(opsPerSecond), TargetOpsPerSecond, "ops/s", lowerIsBetter: false, "0");
        report.Target("validation allocations (median)", Stats.Median(bytesPerOp), TargetBytesPerOp, "B/op", lowerIsBetter: true, "0");
    }

    private static (double OpsPerSecond, double BytesPerOp) Measure(JobValidator validator)
    {
        const int batch = 256;
        long ops = 0;
        var valid = 0;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var start = Stopwatch.GetTimestamp();
        TimeSpan elapsed;
        do
        {
            for (var i = 0; i < batch; i++)
            {
                if (validator.Validate(Job).Job is not null)
                {
                    valid++;
                }
            }

            ops += batch;
            elapsed = Stopwatch.GetElapsedTime(start);
        }
        while (elapsed < Round);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        if (valid != ops)
        {
            throw new InvalidOperationException("The validator rejected the bench job.");
        }

        return (ops / elapsed.TotalSeconds, (double)allocated / ops);
    }
}
