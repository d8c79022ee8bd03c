using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using DashScope.Simulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WanFunctions.LocalHost;

namespace WanFunctions.IntegrationTests;

/// <summary>
/// One test's world: the DashScope simulator, the local host (Durable Task SDK + Azure Storage backend on Azurite)
/// and an HTTP client for the API, each on a free loopback port, with a task hub of its own.
/// </summary>
public sealed class WorkflowHarness : IAsyncDisposable
{
    private readonly AzuriteFixture azurite;
    private readonly Dictionary<string, string?> settings;
    private string environment = "Production";
    private Action<IServiceCollection>? configureServices;

    private WorkflowHarness(AzuriteFixture azurite, SimulatorHost simulator, Dictionary<string, string?> settings)
    {
        this.azurite = azurite;
        Simulator = simulator;
        this.settings = settings;
    }

    /// <summary>The local host's API key in these tests (outside Development every /api call needs one); <see cref="Api"/> sends it.</summary>
    public const string ApiKey = "it-api-key-0123456789abcdef";

    public SimulatorHost Simulator { get; }

    public LocalHostApp Host { get; private set; } = null!;

    public HttpClient Api { get; private set; } = null!;

    public BlobServiceClient Blobs => new(azurite.ConnectionString);

    /// <param name="configureServices">Passed to the local host (e.g. an in-memory telemetry exporter).</param>
    public static async Task<WorkflowHarness> StartAsync(AzuriteFixture azurite, SimulatorOptions? simulator = null,
        IDictionary<string, string?>? overrides = null, bool startHost = true, string environment = "Production",
        Action<IServiceCollection>? configureServices = null)
    {
        var sim = await SimulatorHost.StartAsync(simulator ?? new SimulatorOptions { PendingSeconds = 1, RunningSeconds = 1 });
        var hub = "it" + Guid.NewGuid().ToString("N")[..12];
        var settings = new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = sim.BaseUrl.ToString(),
            ["DashScope:ApiKey"] = sim.ApiKey,
            ["DashScope:Region"] = "International",
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:StateContainer"] = hub + "-state",
            ["Archive:Container"] = hub + "-videos",
            ["Archive:AllowedHosts:0"] = "127.0.0.1",
            ["Archive:AllowHttpLoopback"] = "true",
            ["Workflow:FirstPollDelay"] = "00:00:00.5",
            ["Workflow:PollInterval"] = "00:00:00.5",
            ["Workflow:MaxPollInterval"] = "00:00:01",
            ["Workflow:RetryInterval"] = "00:00:00.5",
            ["Workflow:PollDeadline"] = "00:02:00",
            // A class that learns within a test polls at the pace above, not at the production floor of 5 s.
            ["Workflow:LearnedPollMinGap"] = "00:00:00.5",
            ["Workflow:LearnedPollMaxGap"] = "00:00:01",
            ["DurableTask:TaskHub"] = hub,
            ["DurableTask:WorkerId"] = "it-worker",
            ["DurableTask:PartitionCount"] = "1",
            ["DurableTask:MaxQueuePollingInterval"] = "00:00:00.2",
            ["DurableTask:MessageVisibilityTimeout"] = "00:00:10",
            ["LocalHost:ApiKeys:0"] = ApiKey,
            // The scanner would start jobs from every test's uploads to the shared container; its tests turn it on.
            ["UploadScan:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = Environment.GetEnvironmentVariable("WAN_IT_LOGLEVEL") ?? "Warning",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var harness = new WorkflowHarness(azurite, sim, settings) { environment = environment, configureServices = configureServices };
        if (startHost)
        {
            await harness.StartHostAsync();
        }

        return harness;
    }

    /// <summary>Starts the local host (again, after <see cref="StopHostAsync"/>: same task hub, same worker id).</summary>
    public async Task StartHostAsync()
    {
        Host = await LocalHostApp.StartAsync(["--urls", "http://127.0.0.1:0", "--environment", environment],
            config => config.AddInMemoryCollection(settings), configureServices);
        Api = new HttpClient { BaseAddress = Host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Api.DefaultRequestHeaders.Add("x-api-key", ApiKey);
    }

    public async Task StopHostAsync()
    {
        Api?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
            Host = null!;
        }
    }

    private HostProcess? hostProcess;
    private readonly List<HostProcess> peers = [];

    /// <summary>Runs the local host as a separate process (same settings, as environment variables), to kill it hard.</summary>
    public async Task StartHostProcessAsync()
    {
        hostProcess = await HostProcess.StartAsync(settings);
        Api = hostProcess.Api;
    }

    /// <summary>
    /// Another local host process on the same task hub, with <paramref name="overrides"/> on top of the test's settings
    /// (e.g. its own <c>DurableTask:WorkerId</c>); disposed with the harness.
    /// </summary>
    public async Task<HostProcess> StartPeerHostProcessAsync(IDictionary<string, string?> overrides)
    {
        var merged = new Dictionary<string, string?>(settings);
        foreach (var (key, value) in overrides)
        {
            merged[key] = value;
        }

        var peer = await HostProcess.StartAsync(merged);
        peers.Add(peer);
        return peer;
    }

    /// <summary>SIGKILL: no graceful shutdown, leases and in-flight messages left as they are.</summary>
    public void KillHostProcess()
    {
        hostProcess!.Kill();
        hostProcess = null;
    }

    /// <summary>A local host in a child process: its HTTP API, every line it writes (logs), and a hard kill.</summary>
    public sealed class HostProcess
    {
        private readonly Process process;
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> output = new();
        private bool killed;

        private HostProcess(Process process, HttpClient api)
        {
            this.process = process;
            Api = api;
        }

        public HttpClient Api { get; }

        /// <summary>What the host wrote to stdout and stderr so far (its console log, one line per entry).</summary>
        public IReadOnlyCollection<string> Output => output;

        public static async Task<HostProcess> StartAsync(IReadOnlyDictionary<string, string?> settings)
        {
            var port = AzuriteFixture.FreePort();
            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "WanFunctions.LocalHost.dll"), "--urls", $"http://127.0.0.1:{port}"])
            {
                WorkingDirectory = AppContext.BaseDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var (key, value) in settings)
            {
                start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }

            var host = new HostProcess(Process.Start(start)!,
                new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) });
            host.Api.DefaultRequestHeaders.Add("x-api-key", ApiKey);
            host.process.OutputDataReceived += (_, line) => host.Keep(line.Data);
            host.process.ErrorDataReceived += (_, line) => host.Keep(line.Data);
            host.process.BeginOutputReadLine();
            host.process.BeginErrorReadLine();
            // 60 s: a loaded 2-core machine can take half a minute to start a .NET process.
            var until = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < until)
            {
                try
                {
                    using var health = await host.Api.GetAsync("healthz");
                    if (health.IsSuccessStatusCode)
                    {
                        return host;
                    }
                }
                catch (HttpRequestException)
                {
                }

                if (host.process.HasExited)
                {
                    var code = host.process.ExitCode;
                    host.Kill();
                    throw new InvalidOperationException($"The host process exited with code {code}.");
                }

                await Task.Delay(100);
            }

            host.Kill(); // not left running behind the failed test
            throw new TimeoutException("The host process did not answer /healthz within 60 s.");
        }

        private void Keep(string? line)
        {
            if (line is not null)
            {
                output.Enqueue(line);
            }
        }

        /// <summary>SIGKILL: no graceful shutdown, leases and in-flight messages left as they are.</summary>
        public void Kill()
        {
            if (killed)
            {
                return;
            }

            killed = true;
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.WaitForExit();
            process.Dispose();
            Api.Dispose();
        }
    }

    public string ArchiveContainer => settings["Archive:Container"]!;

    public string TaskHub => settings["DurableTask:TaskHub"]!;

    public string StorageConnectionString => azurite.ConnectionString;

    public string StateContainer => settings["Storage:StateContainer"]!;

    public async Task<(HttpResponseMessage Response, JsonObject Body)> PostJobAsync(object job)
    {
        var response = await Api.PostAsJsonAsync("api/videos", job);
        return (response, await ReadObjectAsync(response));
    }

    public async Task<JsonObject> GetStatusAsync(string id)
    {
        using var response = await Api.GetAsync($"api/videos/{id}");
        response.EnsureSuccessStatusCode();
        return await ReadObjectAsync(response);
    }

    /// <summary>Polls the status endpoint until the job leaves Pending/Running.</summary>
    public async Task<JsonObject> WaitForFinishAsync(string id, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var status = await GetStatusAsync(id);
            var state = (string)status["status"]!;
            if (state is not ("Pending" or "Running"))
            {
                return status;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Job {id} still {state}: {status.ToJsonString()}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Waits until the job's progress satisfies <paramref name="condition"/>.</summary>
    public async Task<JsonObject> WaitForProgressAsync(string id, Func<JsonObject, bool> condition, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var status = await GetStatusAsync(id);
            if (status["progress"] is JsonObject progress && condition(progress))
            {
                return status;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Job {id} never reached the expected progress: {status.ToJsonString()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Downloads what the simulator serves for a task, through its own signed URL.</summary>
    public async Task<byte[]> DownloadFromSimulatorAsync(string taskId)
    {
        using var http = new HttpClient { BaseAddress = Simulator.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/tasks/{taskId}");
        request.Headers.Authorization = new("Bearer", Simulator.ApiKey);
        using var response = await http.SendAsync(request);
        var body = await ReadObjectAsync(response);
        var videoUrl = (string)body["output"]!["video_url"]!;
        return await http.GetByteArrayAsync(videoUrl);
    }

    public int CountRequests(string method, Func<string, bool> path) =>
        Simulator.Requests.Count(r => r.Method == method && path(r.Path));

    private static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return string.IsNullOrEmpty(text) ? new JsonObject() : JsonNode.Parse(text)!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        if (hostProcess is not null)
        {
            KillHostProcess();
        }

        foreach (var peer in peers)
        {
            peer.Kill();
        }

        await StopHostAsync();
        await Simulator.DisposeAsync();
    }
}
