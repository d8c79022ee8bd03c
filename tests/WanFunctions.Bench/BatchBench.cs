using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DashScope.Simulator;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using WanFunctions.LocalHost;

namespace WanFunctions.Bench;

/// <summary>
/// A platform team's batch: N jobs posted at once against a provider account with 5 slots and a fixed generation time,
/// with the capacity gate on and then off. Makespan (first POST → last completion recorded by the engine) against the
/// ideal ceil(N / 5) × generation time, jobs lost (not Succeeded), and throttled submits (429) among all submits.
/// </summary>
public static class BatchBench
{
    private const string SubmitPath = "/api/v1/services/aigc/video-generation/video-synthesis";
    private const string BenchApiKey = "bench-api-key-0123456789";
    private const int Slots = 5;
    private const double PendingSeconds = 2;
    private const double RunningSeconds = 2;
    private const double GenerationSeconds = PendingSeconds + RunningSeconds;

    public sealed record BatchFigures(int Jobs, double MakespanSeconds, double IdealSeconds, int Lost, int Submits, int Throttled);

    public static async Task<BatchFigures> RunAsync(BenchOptions options, string storage, Report report)
    {
        var n = options.BatchJobs;
        var ideal = Math.Ceiling(n / (double)Slots) * GenerationSeconds;
        Report.Section($"Batch: {n} jobs posted at once, provider account with {Slots} slots, {GenerationSeconds:0} s generation; ideal makespan {ideal:0} s");
        var gated = await RunOnceAsync(n, ideal, gate: true, storage);
        var open = options.BatchGateOff ? await RunOnceAsync(n, ideal, gate: false, storage) : null;
        Report.Line($"{"",-14} {"makespan",10} {"÷ ideal",8} {"lost",5} {"submits",8} {"throttled",10}");
        foreach (var (name, f) in new[] { ("gate on", gated), ("gate off", open) }.Where(r => r.Item2 is not null).Select(r => (r.Item1, r.Item2!)))
        {
            Report.Line(string.Create(CultureInfo.InvariantCulture,
                $"{name,-14} {f.MakespanSeconds,9:0.0}s {f.MakespanSeconds / f.IdealSeconds,8:0.00} {f.Lost,5} {f.Submits,8} {f.Throttled,5} ({Share(f):0.0} %)"));
        }

        report.Target("gate on: makespan ÷ ideal", gated.MakespanSeconds / gated.IdealSeconds, 1.10, "×", lowerIsBetter: true, format: "0.00", inclusive: true);
        report.Target("gate on: jobs lost", gated.Lost, 0, "jobs", lowerIsBetter: true, format: "0", inclusive: true);
        report.Target("gate on: throttled submits", Share(gated), 2, "%", lowerIsBetter: true, format: "0.0", inclusive: true);
        return gated;
    }

    private static string Prompt(int i) => $"character1 walks through batch item {i}";

    private static double Share(BatchFigures f) => f.Submits == 0 ? 0 : 100.0 * f.Throttled / f.Submits;

    private static async Task<BatchFigures> RunOnceAsync(int n, double ideal, bool gate, string storage)
    {
        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            PendingSeconds = PendingSeconds,
            RunningSeconds = RunningSeconds,
            MaxConcurrentTasks = Slots,
        });

        var hub = "batch" + Guid.NewGuid().ToString("N")[..12];
        var settings = new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = sim.BaseUrl.ToString(),
            ["DashScope:ApiKey"] = sim.ApiKey,
            ["DashScope:Region"] = "International",
            ["DashScope:MaxConcurrentTasks"] = Slots.ToString(CultureInfo.InvariantCulture),
            ["Gate:Enabled"] = gate ? "true" : "false",
            ["Storage:ConnectionString"] = storage,
            ["Storage:StateContainer"] = hub + "-state",
            ["Archive:Container"] = hub + "-videos",
            ["Archive:AllowedHosts:0"] = "127.0.0.1",
            ["Archive:AllowHttpLoopback"] = "true",
            // Whole seconds: the first look when the generation should be done, then every second.
            ["Workflow:FirstPollDelay"] = "00:00:04",
            ["Workflow:PollInterval"] = "00:00:01",
            ["Workflow:MaxPollInterval"] = "00:00:01",
            ["Workflow:RetryInterval"] = "00:00:01",
            // The issue's experiment: a 3-minute deadline (from the POST without the gate, from acceptance with it).
            ["Workflow:PollDeadline"] = "00:03:00",
            ["DurableTask:TaskHub"] = hub,
            ["DurableTask:WorkerId"] = "bench-worker",
            ["DurableTask:PartitionCount"] = "1",
            ["DurableTask:MaxQueuePollingInterval"] = "00:00:01",
            ["DurableTask:MessageVisibilityTimeout"] = "00:01:00",
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

        var finished = new Dictionary<string, OrchestrationMetadata>();
        while (finished.Count < n && clock.Elapsed < TimeSpan.FromMinutes(10))
        {
            foreach (var id in ids.Where(id => !finished.ContainsKey(id)))
            {
                if (await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true) is { IsRunning: false } done
                    && done.RuntimeStatus is not OrchestrationRuntimeStatus.Pending)
                {
                    finished[id] = done;
                }
            }

            await Task.Delay(1000);
        }

        var lost = ids.Count(id => !finished.TryGetValue(id, out var done)
            || done.ReadOutputAs<JsonObject>()?["outcome"]?.GetValue<string>() != "Succeeded");
        var makespan = finished.Count == 0 ? double.NaN : (finished.Values.Max(m => m.LastUpdatedAt) - start).TotalSeconds;
        var submits = sim.Requests.Where(r => r.Method == "POST" && r.Path == SubmitPath).ToList();
        var throttled = submits.Count(r => r.StatusCode == 429);
        Report.Line($"gate {(gate ? "on " : "off")}: {finished.Count}/{n} jobs ended in {clock.Elapsed.TotalSeconds:0} s; peak provider tasks at once {sim.PeakActiveTasks}");
        if (gate)
        {
            var rounds = Math.Ceiling(n / (double)Slots);
            Report.Line(string.Create(CultureInfo.InvariantCulture,
                $"a slot's idle time per round: (makespan − ideal) ÷ {rounds:0} rounds = {(makespan - ideal) / rounds:0.00} s; where it goes (median per job):"));
            var prompts = ids.Select((id, i) => (id, Prompt(i + 1))).ToDictionary(p => p.id, p => p.Item2);
            foreach (var step in await RoundBreakdown.MeasureAsync(storage, hub, prompts, sim))
            {
                Report.Line(string.Create(CultureInfo.InvariantCulture, $"  {step.MedianSeconds,6:0.00}  {step.Name} (n={step.Samples})"));
            }
        }

        return new BatchFigures(n, makespan, ideal, lost, submits.Count, throttled);
    }
}
