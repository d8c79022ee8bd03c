using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DashScope.Simulator;

namespace DashScope.Simulator.Tests;

/// <summary>A clock the test moves by hand, so lifecycle and expiry tests never sleep.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public ManualClock() : this(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero)) { }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>One simulator plus an HttpClient authorised for it.</summary>
public sealed class Sim : IAsyncDisposable
{
    public const string SubmitPath = "api/v1/services/aigc/video-generation/video-synthesis";

    private Sim(SimulatorHost host, ManualClock? clock)
    {
        Host = host;
        Clock = clock;
        Http = new HttpClient { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.ApiKey);
    }

    public SimulatorHost Host { get; }
    public ManualClock? Clock { get; }
    public HttpClient Http { get; }

    /// <summary>Fixed timings (10 s PENDING, 20 s RUNNING) on a manual clock unless the test says otherwise.</summary>
    public static async Task<Sim> StartAsync(Action<SimulatorOptions>? configure = null, bool manualClock = true)
    {
        var options = new SimulatorOptions { PendingSeconds = 10, RunningSeconds = 20 };
        configure?.Invoke(options);
        var clock = manualClock ? new ManualClock() : null;
        var host = clock is null ? await SimulatorHost.StartAsync(options) : await SimulatorHost.StartAsync(options, clock);
        return new Sim(host, clock);
    }

    public static JsonObject Body(string prompt = "character1 waves at the camera", string model = "wan2.6-r2v-flash", params string[] refs) =>
        new()
        {
            ["model"] = model,
            ["input"] = new JsonObject
            {
                ["prompt"] = prompt,
                ["reference_urls"] = new JsonArray((refs.Length == 0 ? ["https://example.com/a.mp4"] : refs).Select(r => (JsonNode)r!).ToArray()),
            },
            ["parameters"] = new JsonObject { ["size"] = "1280*720", ["duration"] = 5 },
        };

    public Task<HttpResponseMessage> SubmitRawAsync(string json, bool async = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, SubmitPath) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (async)
        {
            request.Headers.Add("X-DashScope-Async", "enable");
        }

        return Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> SubmitAsync(JsonObject body) => SubmitRawAsync(body.ToJsonString());

    /// <summary>Submits and returns the task id, failing the test on anything but 200.</summary>
    public async Task<string> SubmitOkAsync(JsonObject? body = null)
    {
        using var response = await SubmitAsync(body ?? Body());
        var json = await ReadJsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, json.ToJsonString());
        Assert.Equal("PENDING", (string?)json["output"]!["task_status"]);
        return (string)json["output"]!["task_id"]!;
    }

    public Task<string> SubmitOkAsync(string prompt) => SubmitOkAsync(Body(prompt));

    public async Task<JsonNode> QueryAsync(string taskId)
    {
        using var response = await Http.GetAsync($"api/v1/tasks/{taskId}");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }

    public async Task<string> StatusAsync(string taskId) => (string)(await QueryAsync(taskId))["output"]!["task_status"]!;

    public void Advance(double seconds) => Clock!.Advance(TimeSpan.FromSeconds(seconds));

    public static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new JsonException("null body");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }
}
