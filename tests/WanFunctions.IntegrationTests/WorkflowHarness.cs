using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using DashScope.Simulator;
using Microsoft.Extensions.Configuration;
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

    private WorkflowHarness(AzuriteFixture azurite, SimulatorHost simulator, Dictionary<string, string?> settings)
    {
        this.azurite = azurite;
        Simulator = simulator;
        this.settings = settings;
    }

    public SimulatorHost Simulator { get; }

    public LocalHostApp Host { get; private set; } = null!;

    public HttpClient Api { get; private set; } = null!;

    public BlobServiceClient Blobs => new(azurite.ConnectionString);

    public static async Task<WorkflowHarness> StartAsync(AzuriteFixture azurite, SimulatorOptions? simulator = null,
        IDictionary<string, string?>? overrides = null, bool startHost = true, string environment = "Production")
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
            ["Logging:LogLevel:Default"] = Environment.GetEnvironmentVariable("WAN_IT_LOGLEVEL") ?? "Warning",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var harness = new WorkflowHarness(azurite, sim, settings) { environment = environment };
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
            config => config.AddInMemoryCollection(settings));
        Api = new HttpClient { BaseAddress = Host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
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

    private Process? hostProcess;

    /// <summary>Runs the local host as a separate process (same settings, as environment variables), to kill it hard.</summary>
    public async Task StartHostProcessAsync()
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

        hostProcess = Process.Start(start)!;
        hostProcess.OutputDataReceived += (_, _) => { };
        hostProcess.ErrorDataReceived += (_, _) => { };
        hostProcess.BeginOutputReadLine();
        hostProcess.BeginErrorReadLine();
        Api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var health = await Api.GetAsync("healthz");
                if (health.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (hostProcess.HasExited)
            {
                throw new InvalidOperationException($"The host process exited with code {hostProcess.ExitCode}.");
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The host process did not answer /healthz within 30 s.");
    }

    /// <summary>SIGKILL: no graceful shutdown, leases and in-flight messages left as they are.</summary>
    public void KillHostProcess()
    {
        hostProcess!.Kill();
        hostProcess.WaitForExit();
        hostProcess.Dispose();
        hostProcess = null;
    }

    public string ArchiveContainer => settings["Archive:Container"]!;

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

        await StopHostAsync();
        await Simulator.DisposeAsync();
    }
}
