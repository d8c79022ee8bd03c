using System.Globalization;

namespace WanFunctions.Bench;

public sealed record BenchOptions
{
    public const string StorageVariable = "WANFUNCTIONS_BENCH_STORAGE";

    public const string Usage = """
        Usage: tests/bench.sh [options]   (or: WANFUNCTIONS_BENCH_STORAGE=<Azurite connection string> dotnet run -c Release --project tests/WanFunctions.Bench -- [options])
          --video-mib N        size of the video the simulator serves in the archive scenario (default: 256, then 1024 once)
          --iterations N       measured iterations per scenario, after one warm-up (default 3)
          --jobs N             concurrent jobs in the end-to-end scenario (default 10)
          --first-poll-ms N    Workflow:FirstPollDelay in the end-to-end scenario (default 2000 = the simulator's generation time)
          --poll-ms N          Workflow:PollInterval in the end-to-end scenario, growing ×1.5 up to twice that (default 2000)
          --queue-poll-ms N    DurableTask:MaxQueuePollingInterval in the end-to-end scenario (default 1000, as in local development)
          --batch-jobs N       jobs in the batch scenario (default 100)
          --batch-gate-on-only run the batch with the gate on only (skips the few-minute comparison with the gate off)
          --batch-generation-s N  the batch's fixed generation time in seconds, half PENDING and half RUNNING (default 4)
          --scale-jobs N       jobs in flight in the scale scenario (default 1000)
          --scale-window-s N   seconds the scale scenario measures CPU and memory while the jobs wait (default 45)
          --scale-first-poll-s N  Workflow:FirstPollDelay in the scale scenario (default 60 + jobs/5 + window)
          --polling-jobs N     measured jobs in the polling scenario (default 5000)
          --polling-warmup N   warm-up jobs that teach the learned schedule first (default 20000)
          --polling-seed N     seed of the polling scenario's job mix and timing (default 12345)
          --json FILE          also write the figures as {"archive": {...}, "batch": {...}, "polling": {...}, "scale": {...}}
                               into FILE (merged with its other keys)
          --only LIST          comma-separated scenarios: validate, archive, e2e, batch, polling, scale (default: validate,
                               archive, e2e, polling; batch and scale run a few minutes each, so only when named)
          --strict             exit 1 when a target is missed (default: report only, exit 0)
        """;

    /// <summary>Null: the archive scenario runs 256 MiB, then 1 GiB once.</summary>
    public int? VideoMib { get; init; }
    public int Iterations { get; init; } = 3;
    public int Jobs { get; init; } = 10;
    public int FirstPollMs { get; init; } = 2000;
    public int PollMs { get; init; } = 2000;
    public int QueuePollMs { get; init; } = 1000;
    public int BatchJobs { get; init; } = 100;
    public bool BatchGateOff { get; init; } = true;
    public int BatchGenerationSeconds { get; init; } = 4;
    public int ScaleJobs { get; init; } = 1000;
    public int ScaleWindowSeconds { get; init; } = 45;
    public int? ScaleFirstPollSeconds { get; init; }
    public int PollingJobs { get; init; } = 5000;
    public int PollingWarmup { get; init; } = 20_000;
    public int PollingSeed { get; init; } = 12345;
    public string? JsonFile { get; init; }
    public IReadOnlySet<string> Only { get; init; } = new HashSet<string> { "validate", "archive", "e2e", "polling" };
    public bool Strict { get; init; }
    public bool Help { get; init; }

    public bool Needs(string scenario) => Only.Contains(scenario);

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            int Positive(int min = 1)
            {
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
                    ? n
                    : throw new ArgumentException($"{arg} must be an integer >= {min}; got '{text}'.");
            }

            o = arg switch
            {
                "--video-mib" => o with { VideoMib = Positive() },
                "--iterations" => o with { Iterations = Positive() },
                "--jobs" => o with { Jobs = Positive() },
                "--first-poll-ms" => o with { FirstPollMs = Positive(100) },
                "--poll-ms" => o with { PollMs = Positive(100) },
                "--queue-poll-ms" => o with { QueuePollMs = Positive(100) },
                "--batch-jobs" => o with { BatchJobs = Positive() },
                "--batch-gate-on-only" => o with { BatchGateOff = false },
                "--batch-generation-s" => o with { BatchGenerationSeconds = Positive(2) },
                "--scale-jobs" => o with { ScaleJobs = Positive() },
                "--scale-window-s" => o with { ScaleWindowSeconds = Positive() },
                "--scale-first-poll-s" => o with { ScaleFirstPollSeconds = Positive(5) },
                "--polling-jobs" => o with { PollingJobs = Positive() },
                "--polling-warmup" => o with { PollingWarmup = Positive(0) },
                "--polling-seed" => o with { PollingSeed = Positive() },
                "--json" => o with { JsonFile = Value() },
                "--only" => o with { Only = ParseOnly(Value()) },
                "--strict" => o with { Strict = true },
                "-h" or "--help" => o with { Help = true },
                _ => throw new ArgumentException($"Unknown option '{arg}'."),
            };
        }

        return o;
    }

    private static HashSet<string> ParseOnly(string list)
    {
        var set = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.ToLowerInvariant()).ToHashSet();
        var unknown = set.Except(["validate", "archive", "e2e", "batch", "polling", "scale"]).ToArray();
        return unknown.Length == 0 && set.Count > 0
            ? set
            : throw new ArgumentException($"--only takes validate, archive, e2e, batch, polling, scale; got '{list}'.");
    }
}
