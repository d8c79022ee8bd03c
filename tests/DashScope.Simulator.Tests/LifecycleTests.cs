using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace DashScope.Simulator.Tests;

public class LifecycleTests
{
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss.fff";

    private static DateTime ParseTime(JsonNode? node) =>
        DateTime.ParseExact((string)node!, TimeFormat, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Task_goes_pending_running_succeeded_with_provider_shaped_answers()
    {
        await using var sim = await Sim.StartAsync();
        var body = Sim.Body("character1 and character2 talk", refs: ["https://e.com/a.mp4", "https://e.com/b.png"]);
        body["parameters"]!["size"] = "1920*1080";
        body["parameters"]!["duration"] = 8;
        var id = await sim.SubmitOkAsync(body);

        var pending = await sim.QueryAsync(id);
        Assert.Equal("PENDING", (string?)pending["output"]!["task_status"]);
        Assert.Equal(id, (string?)pending["output"]!["task_id"]);
        Assert.NotNull((string?)pending["request_id"]);
        Assert.Null(pending["usage"]);
        var submitTime = ParseTime(pending["output"]!["submit_time"]);
        // Provider clock is China Standard Time: 08:00 UTC on the manual clock reads 16:00.
        Assert.Equal(new DateTime(2026, 3, 1, 16, 0, 0), submitTime);

        sim.Advance(10);
        var running = await sim.QueryAsync(id);
        Assert.Equal("RUNNING", (string?)running["output"]!["task_status"]);
        Assert.Equal(submitTime.AddSeconds(10), ParseTime(running["output"]!["scheduled_time"]));
        Assert.Equal(1, (int)running["output"]!["task_metrics"]!["TOTAL"]!);
        Assert.Null(running["output"]!["video_url"]);

        sim.Advance(19.9);
        Assert.Equal("RUNNING", await sim.StatusAsync(id));
        sim.Advance(0.1);
        var done = await sim.QueryAsync(id);
        var output = done["output"]!;
        Assert.Equal("SUCCEEDED", (string?)output["task_status"]);
        Assert.Equal(submitTime.AddSeconds(30), ParseTime(output["end_time"]));
        Assert.Equal("character1 and character2 talk", (string?)output["orig_prompt"]);
        Assert.StartsWith($"{sim.Host.BaseUrl}results/{id}.mp4?Expires=", (string?)output["video_url"]);
        Assert.Contains("&Signature=", (string?)output["video_url"]);
        Assert.Null(output["code"]);

        // 2 references -> 2.5 s cap per video; one video of 5 s -> 2.5 s billed, plus 8 s output.
        var usage = done["usage"]!;
        Assert.Equal(10.5m, (decimal)usage["duration"]!);
        Assert.Equal(2.5m, (decimal)usage["input_video_duration"]!);
        Assert.Equal(8, (int)usage["output_video_duration"]!);
        Assert.Equal(1080, (int)usage["SR"]!);
        Assert.Equal("1920*1080", (string?)usage["size"]);
        Assert.Equal(1, (int)usage["video_count"]!);

        // The URL is stable across queries (it is derived from end_time, not the query time).
        sim.Advance(60);
        Assert.Equal((string?)output["video_url"], (string?)(await sim.QueryAsync(id))["output"]!["video_url"]);
    }

    [Theory]
    [InlineData(1, 1, 5.0)]
    [InlineData(3, 2, 3.30)]
    [InlineData(3, 0, 0.0)]
    [InlineData(4, 3, 3.75)]
    [InlineData(5, 3, 3.0)]
    public void Billing_splits_the_5_second_cap_across_references(int refs, int videos, double expected) =>
        Assert.Equal((decimal)expected, Billing.InputVideoSeconds(refs, videos));

    [Fact]
    public async Task Real_clock_with_speed_factor_goes_through_running_to_succeeded()
    {
        await using var sim = await Sim.StartAsync(o =>
        {
            o.PendingSeconds = null;
            o.RunningSeconds = null;
            o.MinTotalSeconds = 200;
            o.MaxTotalSeconds = 240;
            o.SpeedFactor = 0.005; // 200–240 s become 1.0–1.2 s, at least 0.75 s of it RUNNING
        }, manualClock: false);
        var watch = Stopwatch.StartNew();
        var id = await sim.SubmitOkAsync();

        var seen = new List<string>();
        string status;
        do
        {
            status = await sim.StatusAsync(id);
            if (seen.LastOrDefault() != status)
            {
                seen.Add(status);
            }

            await Task.Delay(20);
        } while (status != "SUCCEEDED" && watch.Elapsed < TimeSpan.FromSeconds(5));

        // PENDING may be too short to observe on a cold start; the order must still hold.
        Assert.Equal(["PENDING", "RUNNING", "SUCCEEDED"], seen.Count == 3 ? seen : ["PENDING", .. seen]);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.95), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Random_timings_are_reproducible_for_the_same_seed_and_within_bounds()
    {
        async Task<List<(TimeSpan, TimeSpan)>> PlanAsync(int seed)
        {
            await using var sim = await Sim.StartAsync(o =>
            {
                o.PendingSeconds = null;
                o.RunningSeconds = null;
                o.RandomSeed = seed;
                o.SpeedFactor = 0.5;
            });
            var store = sim.Host.Services.GetRequiredService<TaskStore>();
            var plans = new List<(TimeSpan, TimeSpan)>();
            for (var i = 0; i < 3; i++)
            {
                var task = store.Get(await sim.SubmitOkAsync())!;
                plans.Add((task.PendingDuration, task.RunningDuration));
            }
            return plans;
        }

        var first = await PlanAsync(7);
        Assert.Equal(first, await PlanAsync(7));
        Assert.NotEqual(first, await PlanAsync(8));
        Assert.Equal(3, first.Distinct().Count());
        Assert.All(first, p => Assert.InRange((p.Item1 + p.Item2).TotalSeconds, 30 - 1e-6, 150 + 1e-6)); // 60–300 s × 0.5
    }

    [Fact]
    public async Task Cancel_succeeds_while_pending_and_the_task_stays_canceled()
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync();

        using var response = await sim.Http.PostAsync($"api/v1/tasks/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull((string?)(await Sim.ReadJsonAsync(response))["request_id"]);

        sim.Advance(100);
        var query = await sim.QueryAsync(id);
        Assert.Equal("CANCELED", (string?)query["output"]!["task_status"]);
        Assert.Null(query["output"]!["video_url"]);
    }

    [Theory]
    [InlineData(15)]  // RUNNING
    [InlineData(40)]  // SUCCEEDED
    public async Task Cancel_is_refused_once_the_task_left_pending(double after)
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync();
        sim.Advance(after);
        var before = await sim.StatusAsync(id);

        using var response = await sim.Http.PostAsync($"api/v1/tasks/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = await Sim.ReadJsonAsync(response);
        Assert.Equal("UnsupportedOperation", (string?)json["code"]);
        Assert.Equal("Failed to cancel the task, please confirm if the task is in PENDING status.", (string?)json["message"]);
        Assert.Equal(before, await sim.StatusAsync(id));
    }

    [Fact]
    public async Task Cancel_of_an_unknown_task_is_refused()
    {
        await using var sim = await Sim.StartAsync();
        using var response = await sim.Http.PostAsync("api/v1/tasks/no-such-task/cancel", null);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("UnsupportedOperation", (string?)(await Sim.ReadJsonAsync(response))["code"]);
    }

    [Fact]
    public async Task Unknown_task_id_is_UNKNOWN_at_http_200()
    {
        await using var sim = await Sim.StartAsync();
        var json = await sim.QueryAsync("6f1c9f0e-0000-0000-0000-000000000000");
        Assert.Equal("UNKNOWN", (string?)json["output"]!["task_status"]);
        Assert.Equal("6f1c9f0e-0000-0000-0000-000000000000", (string?)json["output"]!["task_id"]);
    }

    [Fact]
    public async Task Task_becomes_UNKNOWN_after_the_task_ttl()
    {
        await using var sim = await Sim.StartAsync(o => o.TaskTtl = TimeSpan.FromHours(1));
        var id = await sim.SubmitOkAsync();
        sim.Advance(3599);
        Assert.Equal("SUCCEEDED", await sim.StatusAsync(id));
        sim.Advance(1);
        Assert.Equal("UNKNOWN", await sim.StatusAsync(id));
    }

    [Fact]
    public async Task List_filters_by_status_and_model_and_pages()
    {
        await using var sim = await Sim.StartAsync(o => o.MaxConcurrentTasks = 20);
        var old = await sim.SubmitOkAsync();
        sim.Advance(40); // old is SUCCEEDED
        var flash = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            flash.Add(await sim.SubmitOkAsync());
        }

        var standard = await sim.SubmitOkAsync(Sim.Body(model: "wan2.6-r2v"));

        var all = await GetListAsync(sim, "api/v1/tasks?page_no=1&page_size=2");
        Assert.Equal(5, (int)all["total"]!);
        Assert.Equal(3, (int)all["total_page"]!);
        Assert.Equal(2, all["data"]!.AsArray().Count);
        Assert.Equal(standard, (string?)all["data"]![0]!["task_id"]); // newest first

        var page3 = await GetListAsync(sim, "api/v1/tasks?page_no=3&page_size=2");
        Assert.Equal(old, (string?)page3["data"]!.AsArray().Single()!["task_id"]);

        var succeeded = await GetListAsync(sim, "api/v1/tasks?status=SUCCEEDED");
        Assert.Equal(old, (string?)succeeded["data"]!.AsArray().Single()!["task_id"]);
        Assert.Equal("SUCCEEDED", (string?)succeeded["data"]![0]!["status"]);

        var byModel = await GetListAsync(sim, "api/v1/tasks?model_name=wan2.6-r2v");
        Assert.Equal(standard, (string?)byModel["data"]!.AsArray().Single()!["task_id"]);

        // Times are provider-local (UTC+8): the first task was submitted 16:00:00, the others 16:00:40.
        var window = await GetListAsync(sim, "api/v1/tasks?start_time=20260301160010&end_time=20260301170000&page_size=10");
        Assert.Equal(4, (int)window["total"]!);
        Assert.DoesNotContain(window["data"]!.AsArray(), t => (string?)t!["task_id"] == old);

        using var bad = await sim.Http.GetAsync("api/v1/tasks?page_size=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var badTime = await sim.Http.GetAsync("api/v1/tasks?start_time=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, badTime.StatusCode);
    }

    private static async Task<JsonNode> GetListAsync(Sim sim, string url)
    {
        using var response = await sim.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Sim.ReadJsonAsync(response);
    }
}
