using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DashScope.Simulator;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WanFunctions.LocalHost;

namespace WanFunctions.Bench;

/// <summary>
/// Waiting at scale: N jobs in flight in one local host, all waiting on their first durable timer while the provider
/// keeps them RUNNING. Measures the bench process's CPU (host + in-process simulator, which is idle then) as a share of
/// one core and its working set over a window, Azurite's CPU apart (another process, <c>AZURITE_PID</c>). Then the
/// provider finishes every task at once (the simulator's clock jumps past the RUNNING time) and the host drains them:
/// jobs archived and completed per second.
/// </summary>
/// <remarks>
/// To make every job's next poll due at the same moment, the host is stopped after the window and started again (same
/// task hub, same worker id) once every first-poll timer is due; the drain counts from that start. The capacity gate is
/// off (<c>Gate:Enabled=false</c>) and the simulator takes N concurrent tasks, so nothing but the timers holds the jobs.
/// </remarks>
public static class ScaleBench
{
    private const string SubmitPath = "/api/v1/services/aigc/video-generation/video-synthesis";
    private const double TargetCpuPercent = 5;
    private const double TargetWorkingSetMiB = 400;
    private const string BenchApiKey = "bench-api-key-0123456789";
    private const double RunningSeconds = 3600; // provider seconds: RUNNING until the clock jumps
    private const int PostConcurrency = 16;

    /// <summary>The figures `--json` writes under <c>scale</c>.</summary>
    public sealed record ScaleFigures(int Jobs, double CpuPctOneCoreWaiting, double WsMibWaiting, double CompletionsPerSecond, int Succeeded);

    public static async Task<ScaleFigures> RunAsync(BenchOptions options, string storage, Report report)
    {
        var n = options.ScaleJobs;
        var window = TimeSpan.FromSeconds(options.ScaleWindowSeconds);
        var firstPoll = TimeSpan.FromSeconds(options.ScaleFirstPollSeconds ?? DefaultFirstPollSeconds(n, options.ScaleWindowSeconds));
        Report.Section($"Scale: {n} jobs waiting on durable timers in one local host (Azure Storage backend on Azurite), " +
            $"then the provider finishes them all at once");

        var clock = new JumpingClock();
        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            PendingSeconds = 1,
            RunningSeconds = RunningSeconds,
            MaxConcurrentTasks = n,
            MaxRecordedRequests = 4 * n + 100,
        }, clock);

        var hub = "scale" + Guid.NewGuid().ToString("N")[..12];
        var settings = new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = sim.BaseUrl.ToString(),
            ["DashScope:ApiKey"] = sim.ApiKey,
            ["DashScope:Region"] = "International",
            ["DashScope:MaxConcurrentTasks"] = n.ToString(CultureInfo.InvariantCulture),
            // Off: the gate would hold all but 5 jobs in its queue; here only the timers may hold them.
            ["Gate:Enabled"] = "false",
            // Off: one listing every 2 s whatever the number of jobs; not part of what waiting costs.
            ["UploadScan:Enabled"] = "false",
            ["LocalHost:ApiKeys:0"] = BenchApiKey,
            ["Storage:ConnectionString"] = storage,
            ["Storage:StateContainer"] = hub + "-state",
            ["Archive:Container"] = hub + "-videos",
            ["Archive:AllowedHosts:0"] = "127.0.0.1",
            ["Archive:AllowHttpLoopback"] = "true",
            // Whole seconds; the first poll comes after the window, the later ones (none expected) at production pace.
            ["Workflow:FirstPollDelay"] = firstPoll.ToString("c", CultureInfo.InvariantCulture),
            ["Workflow:PollDeadline"] = "00:30:00",
            ["DurableTask:TaskHub"] = hub,
            ["DurableTask:WorkerId"] = "bench-worker",
            ["Logging:LogLevel:Default"] = "Error",
        };

        // The backend's own defaults (DurableBackendOptions: partitions, queue polling), as a deployment would run them.
        var backend = new DurableBackendOptions();
        Report.Line($"settings: gate off, FirstPollDelay {firstPoll.TotalSeconds:0} s, {backend.PartitionCount} partitions, " +
            $"MaxQueuePollingInterval {backend.MaxQueuePollingInterval.TotalSeconds:0.#} s, window {window.TotalSeconds:0} s, " +
            $"{Environment.ProcessorCount} cores, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC");

        var host = await LocalHostApp.StartAsync(["--urls", "http://127.0.0.1:0"], config => config.AddInMemoryCollection(settings));
        try
        {
            // Post them all; the window starts once every job has submitted and waits on its first-poll timer.
            var posting = Stopwatch.StartNew();
            var ids = await PostAllAsync(host.BaseAddress, n);
            var posted = posting.Elapsed;
            var tasks = sim.Services.GetRequiredService<TaskStore>();
            await WaitUntilAsync(() => Task.FromResult(tasks.All.Count >= n), TimeSpan.FromMinutes(5), $"{n} provider tasks");
            var submitted = posting.Elapsed;
            var due = Array.Empty<DateTimeOffset>();
            await WaitUntilAsync(async () => (due = await NextPollsAsync(host.Client)).Length >= n, TimeSpan.FromMinutes(2), $"{n} jobs waiting on a timer");
            posting.Stop();
            var firstDue = due.Min();
            var lastDue = due.Max();
            Report.Line($"{n} jobs posted in {posted.TotalSeconds:0.0} s, submitted to the provider by {submitted.TotalSeconds:0.0} s, " +
                $"all waiting on their timer by {posting.Elapsed.TotalSeconds:0.0} s ({n / posting.Elapsed.TotalSeconds:0.0} jobs/s); " +
                $"first polls due over {(lastDue - firstDue).TotalSeconds:0.0} s");

            // Waiting, not warming up: the runtime's tiered compiler recompiles hot methods for a while after the burst of
            // work (slowly on a loaded machine); start the window once it is quiet, leaving room for the window itself.
            var settle = Stopwatch.StartNew();
            await WaitForJitToSettleAsync(firstDue - window - TimeSpan.FromSeconds(3));
            Report.Line($"JIT settled {settle.Elapsed.TotalSeconds:0} s after the last job started waiting ({System.Runtime.JitInfo.GetCompiledMethodCount()} methods compiled so far)");

            // The window must end before the first timer fires (2 s of margin: Azure Storage timers fire up to ~1 s early).
            var room = firstDue - DateTimeOffset.UtcNow - TimeSpan.FromSeconds(3);
            if (room < window)
            {
                Report.Line($"note: window shortened to {Math.Max(0, room.TotalSeconds):0} s (first polls due soon; raise --scale-first-poll-s)");
                window = room > TimeSpan.FromSeconds(1) ? room : TimeSpan.FromSeconds(1);
            }

            var waiting = await MeasureWaitingAsync(sim, window);
            Report.Line($"while waiting ({waiting.Seconds:0.0} s): bench process CPU {waiting.CpuPercent:0.00} % of one core " +
                $"(host + in-process simulator, which answered {waiting.SimulatorRequests} requests), " +
                $"Azurite {(waiting.AzuritePercent is { } az ? $"{az:0.00} %" : "not measured (AZURITE_PID unset)")}");
            Report.Line($"working set: max {waiting.WorkingSetMaxMiB:0.0} MiB, end {waiting.WorkingSetEndMiB:0.0} MiB; " +
                $"managed heap {waiting.HeapMiB:0.0} MiB; allocated {waiting.AllocatedMiBPerSecond:0.00} MiB/s; " +
                $"GCs gen0/1/2 {waiting.Gen0}/{waiting.Gen1}/{waiting.Gen2}; threads {waiting.Threads}");
            Report.Line($"storage requests: {waiting.StorageRequestsPerSecond:0.0}/s ({waiting.StorageByKind})");
            Report.Line($"busiest threads (CPU % of one core): {waiting.BusiestThreads}; JIT: {waiting.Jit}");

            // The provider finishes every task at once; the host comes back when every first poll is due.
            clock.Jump(TimeSpan.FromSeconds(RunningSeconds));
            await host.DisposeAsync();
            host = null;
            var untilDue = lastDue + TimeSpan.FromSeconds(2) - DateTimeOffset.UtcNow;
            if (untilDue > TimeSpan.Zero)
            {
                await Task.Delay(untilDue);
            }

            var drainStart = DateTimeOffset.UtcNow;
            host = await LocalHostApp.StartAsync(["--urls", "http://127.0.0.1:0"], config => config.AddInMemoryCollection(settings));
            var startedIn = DateTimeOffset.UtcNow - drainStart;
            await WaitUntilAsync(async () => await CountRunningAsync(host.Client) == 0, TimeSpan.FromMinutes(10), $"{n} jobs done");
            var done = await ReadAllAsync(host.Client, ids);
            var succeeded = done.Count(m => m.ReadOutputAs<JsonObject>()?["outcome"]?.GetValue<string>() == "Succeeded");
            var drained = done.Where(m => m.LastUpdatedAt >= drainStart).ToArray();
            var drainSeconds = drained.Length == 0 ? double.NaN : (drained.Max(m => m.LastUpdatedAt) - drainStart).TotalSeconds;
            var rate = drained.Length / drainSeconds;
            var submits = sim.Requests.Count(r => r.Method == "POST" && r.Path == SubmitPath);
            Report.Line($"drain: {drained.Length} jobs completed {drainSeconds:0.0} s after the host's restart (start-up {startedIn.TotalSeconds:0.0} s included); " +
                $"{done.Length - drained.Length} had completed before it");
            Report.Line($"outcome: {succeeded}/{n} Succeeded and archived; {submits} submits for {n} jobs; " +
                $"{rate:0.0} jobs completed per second");

            report.Target("waiting: bench process CPU, % of one core", waiting.CpuPercent, TargetCpuPercent, "%", lowerIsBetter: true, "0.00", inclusive: true);
            report.Target("waiting: working set", waiting.WorkingSetMaxMiB, TargetWorkingSetMiB, "MiB", lowerIsBetter: true, "0.0", inclusive: true);
            report.Target("jobs Succeeded", succeeded, n, "jobs", lowerIsBetter: false, "0");
            return new ScaleFigures(n, waiting.CpuPercent, waiting.WorkingSetMaxMiB, rate, succeeded);
        }
        finally
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }
    }

    /// <summary>Room before the first poll for posting (a few jobs a second on a loaded 2-core machine), the JIT to settle and the window.</summary>
    public static int DefaultFirstPollSeconds(int jobs, int windowSeconds) => 60 + (jobs / 5) + windowSeconds;

    /// <summary>Writes <c>scale.{jobs,cpu_pct_one_core_waiting,ws_mib_waiting,completions_per_s}</c> into the file, keeping its other keys.</summary>
    public static Task WriteJsonAsync(string file, ScaleFigures figures) =>
        Report.MergeJsonAsync(file, "scale", new JsonObject
        {
            ["jobs"] = figures.Jobs,
            ["cpu_pct_one_core_waiting"] = Math.Round(figures.CpuPctOneCoreWaiting, 2),
            ["ws_mib_waiting"] = Math.Round(figures.WsMibWaiting, 1),
            ["completions_per_s"] = Math.Round(figures.CompletionsPerSecond, 2),
        });

    private sealed record Waiting(double Seconds, double CpuPercent, double? AzuritePercent, double WorkingSetMaxMiB, double WorkingSetEndMiB,
        double HeapMiB, double AllocatedMiBPerSecond, int Gen0, int Gen1, int Gen2, int Threads, int SimulatorRequests,
        double StorageRequestsPerSecond, string StorageByKind, string BusiestThreads, string Jit);

    /// <summary>
    /// Process CPU time (all threads of the bench process) and Azurite's over the window, working set sampled every second,
    /// and the HTTP requests the process sent (the System.Net.Http meter: all to Azurite while the simulator is idle).
    /// </summary>
    private static async Task<Waiting> MeasureWaitingAsync(SimulatorHost sim, TimeSpan window)
    {
        using var me = Process.GetCurrentProcess();
        using var azurite = Environment.GetEnvironmentVariable("AZURITE_PID") is { } pid && int.TryParse(pid, CultureInfo.InvariantCulture, out var id)
            ? TryGetProcess(id)
            : null;
        var requests = new Dictionary<string, int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "System.Net.Http" && instrument.Name == "http.client.request.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            string? method = null, port = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "http.request.method")
                {
                    method = tag.Value?.ToString();
                }
                else if (tag.Key == "server.port")
                {
                    port = tag.Value?.ToString();
                }
            }

            lock (requests)
            {
                var key = $"{method} :{port}";
                requests[key] = requests.GetValueOrDefault(key) + 1;
            }
        });
        listener.Start();

        var threadsBefore = ThreadCpu();
        var jitBefore = (Methods: System.Runtime.JitInfo.GetCompiledMethodCount(), Time: System.Runtime.JitInfo.GetCompilationTime());
        var simBefore = sim.Requests.Count;
        int[] gcBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        me.Refresh();
        var cpuBefore = me.TotalProcessorTime;
        var azuriteBefore = azurite?.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var workingSets = new List<double>();
        while (clock.Elapsed < window)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            me.Refresh();
            workingSets.Add(me.WorkingSet64 / Stats.MiB);
        }

        me.Refresh();
        azurite?.Refresh();
        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = (me.TotalProcessorTime - cpuBefore).TotalSeconds / seconds * 100;
        double? azuriteCpu = azurite is null ? null : (azurite.TotalProcessorTime - azuriteBefore!.Value).TotalSeconds / seconds * 100;
        listener.Dispose();
        var threadsAfter = ThreadCpu();
        var jit = $"{System.Runtime.JitInfo.GetCompiledMethodCount() - jitBefore.Methods} methods compiled in {(System.Runtime.JitInfo.GetCompilationTime() - jitBefore.Time).TotalMilliseconds:0} ms";
        var busiest = string.Join(", ", threadsAfter
            .Select(t => (t.Key.Name, Ms: (t.Value - threadsBefore.GetValueOrDefault(t.Key)) * 1000.0 / ClockTicksPerSecond))
            .GroupBy(t => t.Name, t => t.Ms).Select(g => (Name: g.Key, Count: g.Count(), Ms: g.Sum()))
            .Where(t => t.Ms > 0).OrderByDescending(t => t.Ms).Take(6)
            .Select(t => $"'{t.Name}'×{t.Count} {t.Ms / seconds / 10:0.00} %"));
        int total;
        string byKind;
        lock (requests)
        {
            total = requests.Values.Sum();
            byKind = string.Join(", ", requests.OrderByDescending(r => r.Value).Select(r => $"{r.Key} {r.Value / seconds:0.0}/s"));
        }

        return new Waiting(seconds, cpu, azuriteCpu, workingSets.Max(), workingSets[^1], GC.GetTotalMemory(false) / Stats.MiB,
            (GC.GetTotalAllocatedBytes() - allocatedBefore) / Stats.MiB / seconds,
            GC.CollectionCount(0) - gcBefore[0], GC.CollectionCount(1) - gcBefore[1], GC.CollectionCount(2) - gcBefore[2],
            me.Threads.Count, sim.Requests.Count - simBefore, total / seconds, byKind.Length == 0 ? "none" : byKind,
            busiest.Length == 0 ? "not measured" : busiest, jit);
    }

    private const double ClockTicksPerSecond = 100; // USER_HZ of /proc/*/stat on Linux

    /// <summary>CPU ticks per thread of this process, by (thread id, name) from /proc (Linux; empty elsewhere).</summary>
    private static Dictionary<(int Id, string Name), long> ThreadCpu()
    {
        var result = new Dictionary<(int, string), long>();
        if (!Directory.Exists("/proc/self/task"))
        {
            return result;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var name = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                // Fields after the parenthesised name: state is 3rd, utime 14th, stime 15th.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                result[(int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture), name)] = ticks;
            }
            catch (IOException)
            {
                // the thread ended meanwhile
            }
        }

        return result;
    }

    /// <summary>Until fewer than 10 methods were (re)compiled in 4 s, or <paramref name="latest"/>.</summary>
    private static async Task WaitForJitToSettleAsync(DateTimeOffset latest)
    {
        var before = System.Runtime.JitInfo.GetCompiledMethodCount();
        while (DateTimeOffset.UtcNow < latest)
        {
            await Task.Delay(TimeSpan.FromSeconds(4));
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now - before < 10)
            {
                return;
            }

            before = now;
        }
    }

    private static Process? TryGetProcess(int id)
    {
        try
        {
            return Process.GetProcessById(id);
        }
        catch (ArgumentException)
        {
            return null; // gone: Azurite's CPU is then not measured
        }
    }

    private static async Task<string[]> PostAllAsync(Uri baseAddress, int n)
    {
        using var api = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) };
        api.DefaultRequestHeaders.Add("x-api-key", BenchApiKey);
        using var gate = new SemaphoreSlim(PostConcurrency);
        return await Task.WhenAll(Enumerable.Range(1, n).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await api.PostAsJsonAsync("api/videos", new
                {
                    prompt = $"character1 waits at scale, job {i}",
                    references = new[] { new { url = "https://example.com/people/alice.png" } },
                    duration = 5,
                });
                var text = await response.Content.ReadAsStringAsync();
                return response.StatusCode == HttpStatusCode.Accepted
                    ? (string)JsonNode.Parse(text)!["id"]!
                    : throw new InvalidOperationException($"POST api/videos answered {(int)response.StatusCode}: {text}");
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    /// <summary>When each job waiting on its poll timer (progress phase Polling) looks next: its progress's nextPollAt.</summary>
    private static async Task<DateTimeOffset[]> NextPollsAsync(DurableTaskClient client)
    {
        var due = new List<DateTimeOffset>();
        await foreach (var instance in client.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = true, PageSize = 500 }))
        {
            if (instance.SerializedCustomStatus is { } text && JsonNode.Parse(text) is JsonObject progress
                && (string?)progress["phase"] == "Polling" && progress["nextPollAt"] is { } next)
            {
                due.Add(DateTimeOffset.Parse((string)next!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));
            }
        }

        return [.. due];
    }

    private static async Task<int> CountRunningAsync(DurableTaskClient client)
    {
        var count = 0;
        await foreach (var _ in client.GetAllInstancesAsync(new OrchestrationQuery
        {
            Statuses = [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running],
            PageSize = 500,
        }))
        {
            count++;
        }

        return count;
    }

    private static async Task<OrchestrationMetadata[]> ReadAllAsync(DurableTaskClient client, IReadOnlyCollection<string> ids)
    {
        var wanted = ids.ToHashSet();
        var all = new List<OrchestrationMetadata>();
        await foreach (var instance in client.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = true, PageSize = 500 }))
        {
            if (wanted.Contains(instance.InstanceId))
            {
                all.Add(instance);
            }
        }

        return [.. all];
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var until = Stopwatch.StartNew();
        while (!await condition())
        {
            if (until.Elapsed > timeout)
            {
                throw new TimeoutException($"Scale bench: no {what} after {timeout.TotalMinutes:0} min.");
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>The system clock plus an offset that only grows: the simulator's "now" jumps ahead when told.</summary>
    private sealed class JumpingClock : TimeProvider
    {
        private long _offsetTicks;

        public void Jump(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
    }
}
