using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using DashScope.Simulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WanFunctions.DashScope;
using WanFunctions.Storage;
using WanFunctions.Workflow;

namespace WanFunctions.Bench;

/// <summary>
/// VideoArchiver.ArchiveAsync (built by the real DI) copying a large simulator video into an Azurite block blob. Azurite
/// refuses the server-side copy (501), so this measures the streamed path: throughput against a raw copy of the same
/// bytes (HttpClient stream → BlockBlobClient.UploadAsync with the SDK's defaults, the physical limit here), bytes
/// allocated, managed heap and working-set growth, at 256 MiB and 1 GiB unless --video-mib names one size. A
/// download-only run (same HttpClient, bytes thrown away) shows what the in-process simulator and HttpClient cost,
/// since the allocation counter sees the whole process.
/// </summary>
public static class ArchiveBench
{
    private const double TargetAllocatedMiB = 64;
    private const double TargetWorkingSetMiB = 128;
    private const double TargetMiBPerSecond = 50;
    private const double TargetRatioToRaw = 0.9;

    /// <summary>The figures of the first size (256 MiB by default), allocation the most of any run: the <c>archive</c> JSON keys.</summary>
    public sealed record Figures(int VideoMib, double StreamedMibPerSecond, double RawCopyMibPerSecond, double AllocatedMibMax, string Method)
    {
        public double RatioToRaw => StreamedMibPerSecond / RawCopyMibPerSecond;

        public JsonObject ToJson() => new()
        {
            ["video_mib"] = VideoMib,
            ["method"] = Method,
            ["streamed_mib_s"] = Math.Round(StreamedMibPerSecond, 1),
            ["raw_copy_mib_s"] = Math.Round(RawCopyMibPerSecond, 1),
            ["ratio_to_raw"] = Math.Round(RatioToRaw, 3),
            ["alloc_mib_max"] = Math.Round(AllocatedMibMax, 3),
        };
    }

    public static async Task<Figures> RunAsync(BenchOptions options, string storage, Report report)
    {
        // 256 MiB with the iterations asked for, then 1 GiB once (no warm-up) to show memory stays flat; keeps the run short.
        var runs = options.VideoMib is { } mib ? [(mib, options.Iterations)] : new[] { (256, options.Iterations), (1024, 1) };
        Figures? first = null;
        var allocatedMax = 0.0;
        foreach (var (videoMib, iterations) in runs)
        {
            var figures = await RunSizeAsync(videoMib, iterations, warmUp: first is null, storage, report);
            first ??= figures;
            allocatedMax = Math.Max(allocatedMax, figures.AllocatedMibMax);
        }

        return first! with { AllocatedMibMax = allocatedMax };
    }

    private static async Task<Figures> RunSizeAsync(int videoMib, int iterations, bool warmUp, string storage, Report report)
    {
        var size = videoMib * 1024L * 1024L;
        Report.Section($"Archive: VideoArchiver.ArchiveAsync, simulator video of {videoMib} MiB → Azurite block blob, against a raw copy");

        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            PendingSeconds = 0.01,
            RunningSeconds = 0.05,
            VideoSizeBytes = size,
            MaxConcurrentTasks = 50,
            MaxRecordedRequests = 1000,
        });
        var taskId = await SubmitAndWaitAsync(sim);

        var container = "bench-" + Guid.NewGuid().ToString("N")[..12];
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = sim.BaseUrl.ToString(),
            ["DashScope:ApiKey"] = sim.ApiKey,
            ["DashScope:Region"] = "International",
            ["Storage:ConnectionString"] = storage,
            ["Archive:Container"] = container,
            ["Archive:AllowedHosts:0"] = "127.0.0.1",
            ["Archive:AllowHttpLoopback"] = "true",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(configuration);
        services.AddWanFunctions(configuration);
        await using var provider = services.BuildServiceProvider();
        var archiver = provider.GetRequiredService<VideoArchiver>();
        var blobs = provider.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(container);
        var download = provider.GetRequiredService<IHttpClientFactory>().CreateClient(VideoArchiver.HttpClientName);
        var videoUrl = (await provider.GetRequiredService<IDashScopeClient>().GetTaskAsync(taskId)).VideoUrl
            ?? throw new InvalidOperationException("The simulator gave no video URL.");

        await blobs.CreateIfNotExistsAsync(); // the raw copy may come first
        try
        {
            var method = ArchiveMethods.Streamed;
            if (warmUp)
            {
                method = (await ArchiveOnceAsync(archiver, blobs, taskId, "warm-up", size)).Method;
                await RawCopyOnceAsync(download, blobs, videoUrl, "warm-up-raw", size);
                await DownloadOnceAsync(download, videoUrl, size);
            }

            var archives = new List<Measurement>();
            var raws = new List<Measurement>();
            var downloads = new List<Measurement>();
            for (var i = 0; i < iterations; i++)
            {
                // Interleaved, so a neighbour's load on the machine falls on both copies alike.
                downloads.Add(await DownloadOnceAsync(download, videoUrl, size));
                raws.Add(await RawCopyOnceAsync(download, blobs, videoUrl, $"raw{i}", size));
                var (archived, archivedMethod) = await ArchiveOnceAsync(archiver, blobs, taskId, $"run{i}", size);
                archives.Add(archived);
                method = archivedMethod;
            }

            Print($"archive ({method})", archives, size);
            Print("raw copy", raws, size);
            Print("download", downloads, size);
            Report.Line("(raw copy = HttpClient stream → BlockBlobClient.UploadAsync with the SDK's defaults; " +
                "allocated = GC.GetTotalAllocatedBytes(true) delta of the whole process, in-process simulator included; " +
                "heap/WS = peak growth over the value before the run, sampled every 10 ms)");
            Report.Line($"process peak working set so far: {Stats.F(System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / Stats.MiB)} MiB");

            var streamed = Stats.Median(archives.Select(m => size / Stats.MiB / m.Elapsed.TotalSeconds));
            var raw = Stats.Median(raws.Select(m => size / Stats.MiB / m.Elapsed.TotalSeconds));
            report.Target($"archive throughput at {videoMib} MiB (median)", streamed, TargetMiBPerSecond, "MiB/s", lowerIsBetter: false);
            report.Target($"archive ÷ raw copy at {videoMib} MiB (medians)", streamed / raw, TargetRatioToRaw, "", lowerIsBetter: false, format: "0.00");
            report.Target($"archive allocated for {videoMib} MiB (max)", archives.Max(m => m.Allocated) / Stats.MiB,
                TargetAllocatedMiB, "MiB", lowerIsBetter: true);
            report.Target($"archive working-set growth at {videoMib} MiB (max)", archives.Max(m => m.WorkingSetGrowth) / Stats.MiB,
                TargetWorkingSetMiB, "MiB", lowerIsBetter: true);
            return new Figures(videoMib, streamed, raw, archives.Max(m => m.Allocated) / Stats.MiB, method ?? "none");
        }
        finally
        {
            await blobs.DeleteIfExistsAsync();
        }
    }

    private static void Print(string what, List<Measurement> runs, long size)
    {
        Report.Line($"{what}: {Stats.Mmm(runs.Select(m => size / Stats.MiB / m.Elapsed.TotalSeconds).ToArray(), "MiB/s")}; " +
            $"{Stats.Mmm(runs.Select(m => m.Elapsed.TotalSeconds).ToArray(), "s", "0.00")}");
        Report.Line($"{what}: allocated {Stats.Mmm(runs.Select(m => m.Allocated / Stats.MiB).ToArray(), "MiB")} " +
            $"= {Stats.F(Stats.Median(runs.Select(m => (double)m.Allocated)) / size * 100, "0.0")} % of the file; " +
            $"heap growth {Stats.Mmm(runs.Select(m => m.HeapGrowth / Stats.MiB).ToArray(), "MiB")}; " +
            $"WS growth {Stats.Mmm(runs.Select(m => m.WorkingSetGrowth / Stats.MiB).ToArray(), "MiB")}; " +
            $"GCs gen0/1/2 {runs.Sum(m => m.Gen0)}/{runs.Sum(m => m.Gen1)}/{runs.Sum(m => m.Gen2)} over {runs.Count} runs");
    }

    private static async Task<(Measurement Measurement, string? Method)> ArchiveOnceAsync(VideoArchiver archiver, BlobContainerClient blobs,
        string taskId, string name, long size)
    {
        var input = new ArchiveVideoInput("bench-" + name, taskId, $"bench/{name}.mp4", "wan2.6-r2v-flash", "1280*720", 5,
            Hashing.Sha256Hex("bench"));
        var probe = MemoryProbe.Start();
        var video = await archiver.ArchiveAsync(input, CancellationToken.None);
        var measurement = probe.Stop();
        if (video.Bytes != size || video.AlreadyArchived)
        {
            throw new InvalidOperationException($"Archived {video.Bytes} bytes (already archived: {video.AlreadyArchived}); expected {size}.");
        }

        await blobs.DeleteBlobIfExistsAsync(input.BlobName); // keeps Azurite's disk small between runs
        return (measurement, video.Method);
    }

    /// <summary>The physical limit: the same bytes through HttpClient into <c>BlockBlobClient.UploadAsync</c> with the SDK's defaults.</summary>
    private static async Task<Measurement> RawCopyOnceAsync(HttpClient http, BlobContainerClient blobs, string url, string name, long size)
    {
        var blob = blobs.GetBlockBlobClient($"bench/{name}.mp4");
        var probe = MemoryProbe.Start();
        await using (var body = await http.GetStreamAsync(url))
        {
            await blob.UploadAsync(body);
        }

        var measurement = probe.Stop();
        var length = (await blob.GetPropertiesAsync()).Value.ContentLength;
        if (length != size)
        {
            throw new InvalidOperationException($"Raw copy wrote {length} bytes; expected {size}.");
        }

        await blob.DeleteIfExistsAsync();
        return measurement;
    }

    private static async Task<Measurement> DownloadOnceAsync(HttpClient http, string url, long size)
    {
        var probe = MemoryProbe.Start();
        using (var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead))
        {
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync();
            var counter = new CountingSink();
            await body.CopyToAsync(counter);
            if (counter.Length != size)
            {
                throw new InvalidOperationException($"Downloaded {counter.Length} bytes; expected {size}.");
            }
        }

        return probe.Stop();
    }

    /// <summary>Submits one task through the simulator's HTTP API and waits until it is SUCCEEDED.</summary>
    private static async Task<string> SubmitAndWaitAsync(SimulatorHost sim)
    {
        using var http = new HttpClient { BaseAddress = sim.BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", sim.ApiKey);
        var body = new JsonObject
        {
            ["model"] = "wan2.6-r2v-flash",
            ["input"] = new JsonObject
            {
                ["prompt"] = "character1 plays a long guitar solo",
                ["reference_urls"] = new JsonArray("https://example.com/people/alice.mp4"),
            },
            ["parameters"] = new JsonObject { ["size"] = "1280*720", ["duration"] = 5 },
        };
        using var submit = new HttpRequestMessage(HttpMethod.Post, "api/v1/services/aigc/video-generation/video-synthesis")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        submit.Headers.Add("X-DashScope-Async", "enable");
        using var submitted = await http.SendAsync(submit);
        var submittedText = await submitted.Content.ReadAsStringAsync();
        if (!submitted.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Simulator submit failed: {(int)submitted.StatusCode} {submittedText}");
        }

        var taskId = (string)JsonNode.Parse(submittedText)!["output"]!["task_id"]!;
        for (var i = 0; i < 200; i++)
        {
            var status = JsonNode.Parse(await http.GetStringAsync($"api/v1/tasks/{taskId}"))!;
            var state = (string)status["output"]!["task_status"]!;
            if (state == "SUCCEEDED")
            {
                return taskId;
            }

            if (state is not ("PENDING" or "RUNNING"))
            {
                throw new InvalidOperationException($"Simulator task ended {state}: {status.ToJsonString()}");
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Simulator task {taskId} did not succeed within 10 s.");
    }

    /// <summary>A write-only stream that counts and drops what it is given.</summary>
    private sealed class CountingSink : Stream
    {
        private long length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => length;
        public override long Position { get => length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => length += buffer.Length;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            length += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
