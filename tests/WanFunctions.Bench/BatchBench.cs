using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DashScope.Simulator;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WanFunctions.LocalHost;

namespace WanFunctions.Bench;

/// <summary>
/// A platform team's batch: N jobs posted at once against a provider account with 5 slots and a fixed generation time
/// (<c>--batch-generation-s</c>, default 4 s: half PENDING, half RUNNING), with the capacity gate on and then off.
/// Makespan (first POST → last completion recorded by the engine) against the ideal ceil(N / 5) × generation time, the
/// idle time per slot per round, jobs lost (not Succeeded), and throttled submits (429) among all submits. The engine's
/// settings are those an operator would choose for latency-sensitive batches, and each is printed (<see cref="Settings"/>).
/// </summary>
public static class BatchBench
{
    private const string SubmitPath = "/api/v1/services/aigc/video-generation/video-synthesis";
    private const string BenchApiKey = "bench-api-key-0123456789";
    private const int Slots = 5;

    public sealed record BatchFigures(int Jobs, double MakespanSeconds, double IdealSeconds, int Lost, int Submits, int Throttled)
    {
        public double Rounds => Math.Ceiling(Jobs / (double)Slots);

        /// <summary>A slot's idle time per round: the whole gap to the ideal spread over the rounds.</summary>
        public double IdlePerRoundSeconds => (MakespanSeconds - IdealSeconds) / Rounds;
    }

    public static async Task<BatchFigures> RunAsync(BenchOptions options, string storage, Report report)
    {
        var n = options.BatchJobs;
        var generation = options.BatchGenerationSeconds;
        var ideal = Math.Ceiling(n / (double)Slots) * generation;
        Report.Section($"Batch: {n} jobs posted at once, provider account with {Slots} slots, {generation} s generation "
            + $"({generation / 2.0:0.#} s PENDING + {generation / 2.0:0.#} s RUNNING); ideal makespan {ideal:0} s");
        Report.Line("settings (an operator's for latency-sensitive batches; every one the figure depends on):");
        foreach (var (key, value) in Settings(generation, gate: true).Where(s => s.Key.StartsWith("Workflow:", StringComparison.Ordinal)
            || s.Key.StartsWith("DurableTask:", StringComparison.Ordinal) || s.Key.StartsWith("Gate:", StringComparison.Ordinal)))
        {
            Report.Line($"  {key} = {value}");
        }

        Report.Line("  (others at their defaults, e.g. Workflow:LearnedPolling = true with 20 samples before a class's plan is used)");
        var gated = await RunOnceAsync(n, generation, ideal, gate: true, storage);
        var open = options.BatchGateOff ? await RunOnceAsync(n, generation, ideal, gate: false, storage) : null;
        Report.Line($"{"",-14} {"makespan",10} {"÷ ideal",8} {"idle/round",11} {"lost",5} {"submits",8} {"throttled",10}");
        foreach (var (name, f) in new[] { ("gate on", gated), ("gate off", open) }.Where(r => r.Item2 is not null).Select(r => (r.Item1, r.Item2!)))
        {
            Report.Line(string.Create(CultureInfo.InvariantCulture,
                $"{name,-14} {f.MakespanSeconds,9:0.0}s {f.MakespanSeconds / f.IdealSeconds,8:0.00} {f.IdlePerRoundSeconds,10:0.00}s {f.Lost,5} {f.Submits,8} {f.Throttled,5} ({Share(f):0.0} %)"));
        }

        report.Target("gate on: makespan ÷ ideal", gated.MakespanSeconds / gated.IdealSeconds, 1.10, "×", lowerIsBetter: true, format: "0.00", inclusive: true);
        report.Target("gate on: jobs lost", gated.Lost, 0, "jobs", lowerIsBetter: true, format: "0", inclusive: true);
        report.Target("gate on: throttled submits", Share(gated), 2, "%", lowerIsBetter: true, format: "0.0", inclusive: true);
        return gated;
    }

    private static string Prompt(int i) => $"character1 walks through batch item {i}";

    private static double Share(BatchFigures f) => f.Submits == 0 ? 0 : 100.0 * f.Throttled / f.Submits;

    /// <summary>
    /// The host's settings. The poll schedule: the first look when the generation should be done, then every second
    /// (whole seconds: Azure Storage timers fire up to ~1 s early). The learned schedule (on by default) learns only the
    /// RUNNING time and counts it from the submit until it sees the task run, so its floor decides how often it looks:
    /// half the generation (its default 5 s floor is longer than the whole 4 s generation, and a 1 s floor made 7
    /// queries a task on 2026-11-29). Queue polling at the documented
    /// minimum 0.1 s: an idle queue is polled with backoff up to this, so the first message after a lull waits at most that.
    /// </summary>
    private static Dictionary<string, string?> Settings(int generation, bool gate) => new()
    {
        ["Gate:Enabled"] = gate ? "true" : "false",
        ["Workflow:FirstPollDelay"] = TimeSpan.FromSeconds(generation).ToString("c", CultureInfo.InvariantCulture),
        ["Workflow:PollInterval"] = "00:00:01",
        ["Workflow:MaxPollInterval"] = "00:00:01",
        ["Workflow:LearnedPollMinGap"] = TimeSpan.FromSeconds(generation / 2.0).ToString("c", CultureInfo.InvariantCulture),
        ["Workflow:RetryInterval"] = "00:00:01",
        // The issue's experiment: a 3-minute deadline (from the POST without the gate, from acceptance with it).
        ["Workflow:PollDeadline"] = "00:03:00",
        ["DurableTask:PartitionCount"] = "1",
        ["DurableTask:MaxQueuePollingInterval"] = "00:00:00.1",
        ["DurableTask:MessageVisibilityTimeout"] = "00:01:00",
    };

    /// <summary>The batch's jobs that have ended (completed, failed, terminated), by id.</summary>
    private static async Task<Dictionary<string, OrchestrationMetadata>> EndedAsync(LocalHostApp host, DateTimeOffset start, HashSet<string> batch, bool outputs)
    {
        var ended = new Dictionary<string, OrchestrationMetadata>();
        await foreach (var done in host.Client.GetAllInstancesAsync(new OrchestrationQuery
        {
            Statuses = [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated],
            CreatedFrom = start.UtcDateTime.AddMinutes(-1),
            PageSize = 1000,
            FetchInputsAndOutputs = outputs,
        }))
        {
            if (batch.Contains(done.InstanceId))
            {
                ended[done.InstanceId] = done;
            }
        }

        return ended;
    }

    private static async Task<BatchFigures> RunOnceAsync(int n, int generation, double ideal, bool gate, string storage)
    {
        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            PendingSeconds = generation / 2.0,
            RunningSeconds = generation / 2.0,
            MaxConcurrentTasks = Slots,
        });

        var hub = "batch" + Guid.NewGuid().ToString("N")[..12];
        var settings = new Dictionary<string, string?>(Settings(generation, gate))
        {
            ["DashScope:BaseUrl"] = sim.BaseUrl.ToString(),
            ["DashScope:ApiKey"] = sim.ApiKey,
            ["DashScope:Region"] = "International",
            ["DashScope:MaxConcurrentTasks"] = Slots.ToString(CultureInfo.InvariantCulture),
            ["Storage:ConnectionString"] = storage,
            ["Storage:StateContainer"] = hub + "-state",
            ["Archive:Container"] = hub + "-videos",
            ["Archive:AllowedHosts:0"] = "127.0.0.1",
            ["Archive:AllowHttpLoopback"] = "true",
            ["DurableTask:TaskHub"] = hub,
            ["DurableTask:WorkerId"] = "bench-worker",
            // The host runs as Production here, so its API is locked: the client sends this key.
            ["LocalHost:ApiKeys:0"] = BenchApiKey,
            ["Logging:LogLevel:Default"] = "Error",
        };

        await using var host = await LocalHostApp.StartAsync(["--urls", "http://127.0.0.1:0"],
            config => config.AddInMemoryCollection(settings));
        using var api = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        api.DefaultRequestHeaders.Add("x-api-key", BenchApiKey);

        var start = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var ids = await Task.WhenAll(Enumerable.Range(1, n).Select(async i =>
        {
            using var response = await api.PostAsJsonAsync("api/videos", new
            {
                prompt = Prompt(i),
                references = new[] { new { url = "https://example.com/people/alice.mp4" } },
                duration = 5,
            });
            response.EnsureSuccessStatusCode();
            return (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!;
        }));
        var postsAnswered = clock.Elapsed;

        // One light query a second for how many of the batch have ended (no inputs or outputs: the bench's own load stays
        // off the engine and its storage), then one read of their results. The makespan comes from the engine's
        // LastUpdatedAt, not from when this loop notices.
        var batch = ids.ToHashSet(StringComparer.Ordinal);
        var finished = await EndedAsync(host, start, batch, outputs: false);
        while (finished.Count < n && clock.Elapsed < TimeSpan.FromMinutes(10))
        {
            await Task.Delay(1000);
            finished = await EndedAsync(host, start, batch, outputs: false);
        }

        finished = await EndedAsync(host, start, batch, outputs: true);
        var lost = ids.Count(id => !finished.TryGetValue(id, out var done)
            || done.ReadOutputAs<JsonObject>()?["outcome"]?.GetValue<string>() != "Succeeded");
        var makespan = finished.Count == 0 ? double.NaN : (finished.Values.Max(m => m.LastUpdatedAt) - start).TotalSeconds;
        var submits = sim.Requests.Where(r => r.Method == "POST" && r.Path == SubmitPath).ToList();
        var throttled = submits.Count(r => r.StatusCode == 429);
        Report.Line($"gate {(gate ? "on " : "off")}: {finished.Count}/{n} jobs ended in {clock.Elapsed.TotalSeconds:0} s; peak provider tasks at once {sim.PeakActiveTasks}");
        var figures = new BatchFigures(n, makespan, ideal, lost, submits.Count, throttled);
        if (gate && submits.Count > 0)
        {
            // Costs paid once per batch, not per round: the first submit after the POSTs, the last archive and finish.
            var lastEnd = sim.Services.GetRequiredService<TaskStore>().All.Max(t => t.SubmitTime + t.PendingDuration + t.RunningDuration);
            Report.Line(string.Create(CultureInfo.InvariantCulture,
                $"once per batch: first POST → first submit accepted {(submits.Min(r => r.Timestamp) - start).TotalSeconds:0.00} s (all {n} POSTs answered after {postsAnswered.TotalSeconds:0.00} s); last task's end → last job finished {(start.AddSeconds(makespan) - lastEnd).TotalSeconds:0.00} s"));
            var firstTask = sim.Services.GetRequiredService<TaskStore>().All.MinBy(t => t.SubmitTime)!;
            var firstJob = ids.Select((id, i) => (id, Prompt(i + 1))).First(p => p.Item2 == firstTask.Prompt).id;
            Report.Line("the first submitted job's history (s after the first POST): " + string.Join(", ",
                (await RoundBreakdown.TimelineAsync(storage, hub, firstJob)).Select(e => string.Create(CultureInfo.InvariantCulture,
                    $"{e.Name} {(e.At - start.UtcDateTime).TotalSeconds:0.00}"))));
        }

        if (gate)
        {
            Report.Line(string.Create(CultureInfo.InvariantCulture,
                $"a slot's idle time per round: (makespan − ideal) ÷ {figures.Rounds:0} rounds = {figures.IdlePerRoundSeconds:0.00} s; where it goes (median and 90th percentile per job):"));
            var prompts = ids.Select((id, i) => (id, Prompt(i + 1))).ToDictionary(p => p.id, p => p.Item2);
            Report.Line("mean hand-over per round (s): " + string.Join(" ", RoundBreakdown.HandOverByRound(sim, Slots)
                .Select(h => h.ToString("0.00", CultureInfo.InvariantCulture))));
            foreach (var step in await RoundBreakdown.MeasureAsync(storage, hub, prompts, sim, Slots))
            {
                Report.Line(string.Create(CultureInfo.InvariantCulture, $"  {step.MedianSeconds,6:0.00} {(double.IsNaN(step.P90Seconds) ? "" : step.P90Seconds.ToString("0.00", CultureInfo.InvariantCulture)),6}  {step.Name} (n={step.Samples})"));
            }
        }

        return figures;
    }
}
