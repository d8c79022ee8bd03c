using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace DashScope.Simulator.Tests;

public class FaultMarkerTests
{
    [Fact]
    public async Task Fail_marker_ends_the_task_FAILED_with_code_and_message_at_http_200()
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync("character1 [sim:fail=IPInfringementSuspect] sings");
        sim.Advance(15);
        Assert.Equal("RUNNING", await sim.StatusAsync(id));
        sim.Advance(15);

        var output = (await sim.QueryAsync(id))["output"]!;
        Assert.Equal("FAILED", (string?)output["task_status"]);
        Assert.Equal("IPInfringementSuspect", (string?)output["code"]);
        Assert.Contains("IP infringement", (string?)output["message"]);
        Assert.Null(output["video_url"]);
        Assert.NotNull((string?)output["end_time"]);
    }

    [Fact]
    public async Task Fail_marker_accepts_a_custom_message()
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync("x [sim:fail=InternalError.Algo:model crashed]");
        sim.Advance(30);
        var output = (await sim.QueryAsync(id))["output"]!;
        Assert.Equal("InternalError.Algo", (string?)output["code"]);
        Assert.Equal("model crashed", (string?)output["message"]);
    }

    [Theory]
    [InlineData("[sim:submit429]", 1, 429, "Throttling.RateQuota")]
    [InlineData("[sim:submit429=2]", 2, 429, "Throttling.RateQuota")]
    [InlineData("[sim:submit500]", 1, 500, "InternalError")]
    public async Task Submit_fault_markers_fail_the_first_N_submissions_of_that_prompt(string marker, int failures, int status, string code)
    {
        await using var sim = await Sim.StartAsync();
        var body = Sim.Body($"character1 {marker}");
        for (var i = 0; i < failures; i++)
        {
            using var response = await sim.SubmitAsync(body);
            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal(code, (string?)(await Sim.ReadJsonAsync(response))["code"]);
            if (status == 429)
            {
                Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
            }
        }
        await sim.SubmitOkAsync(body);
    }

    /// <summary>The tasks the list route shows (what a client settling a lost answer sees).</summary>
    private static async Task<List<string>> ListedAsync(Sim sim)
    {
        using var response = await sim.Http.GetAsync("api/v1/tasks?page_size=100");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Sim.ReadJsonAsync(response))["data"]!.AsArray().Select(t => (string)t!["task_id"]!).ToList();
    }

    [Fact]
    public async Task Accept500_creates_the_task_then_answers_500_without_a_body()
    {
        await using var sim = await Sim.StartAsync();
        var body = Sim.Body("character1 [sim:accept500]");

        using var first = await sim.SubmitAsync(body);
        Assert.Equal(HttpStatusCode.InternalServerError, first.StatusCode);
        Assert.Equal("", await first.Content.ReadAsStringAsync());
        var created = Assert.Single(await ListedAsync(sim));
        Assert.Equal("character1 [sim:accept500]", (string?)(await sim.QueryAsync(created))["output"]!["orig_prompt"]);

        var second = await sim.SubmitOkAsync(body);
        Assert.Equal(2, (await ListedAsync(sim)).Count);
        Assert.NotEqual(created, second);
    }

    [Fact]
    public async Task Accept_garbled_creates_the_task_then_answers_a_truncated_200()
    {
        await using var sim = await Sim.StartAsync();

        using var response = await sim.SubmitAsync(Sim.Body("character1 [sim:accept-garbled]"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(text));
        Assert.Single(await ListedAsync(sim));
    }

    [Fact]
    public async Task Submit502_answers_a_gateway_page_and_creates_nothing()
    {
        await using var sim = await Sim.StartAsync();
        var body = Sim.Body("character1 [sim:submit429] [sim:submit502]");

        using var throttled = await sim.SubmitAsync(body);
        using var gateway = await sim.SubmitAsync(body);

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, gateway.StatusCode);
        Assert.Equal("text/html", gateway.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await ListedAsync(sim));
        await sim.SubmitOkAsync(body);
    }

    [Fact]
    public async Task Accept_late_creates_the_task_before_the_late_answer_and_keeps_it_when_the_client_gives_up()
    {
        await using var sim = await Sim.StartAsync();
        using var gaveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sim.Http.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, Sim.SubmitPath)
            {
                Content = new StringContent(Sim.Body("character1 [sim:accept-late=5000]").ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
                Headers = { { "X-DashScope-Async", "enable" } },
            },
            gaveUp.Token));

        var created = Assert.Single(await ListedAsync(sim));
        Assert.Equal("PENDING", await sim.StatusAsync(created));
    }

    [Fact]
    public async Task Query_fault_markers_fail_the_first_N_queries_in_order_429_then_500()
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync("x [sim:query429=2] [sim:query500=1]");
        var seen = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await sim.Http.GetAsync($"api/v1/tasks/{id}");
            seen.Add((int)response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("Throttling.RateQuota", (string?)(await Sim.ReadJsonAsync(response))["code"]);
                Assert.NotNull(response.Headers.RetryAfter);
            }
            if (response.StatusCode == HttpStatusCode.InternalServerError)
            {
                Assert.Equal("InternalError", (string?)(await Sim.ReadJsonAsync(response))["code"]);
            }
        }
        Assert.Equal([429, 429, 500, 200], seen);
    }

    [Fact]
    public async Task Malformed_marker_answers_invalid_json_once()
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync("x [sim:malformed]");

        using var first = await sim.Http.GetAsync($"api/v1/tasks/{id}");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("application/json", first.Content.Headers.ContentType?.MediaType);
        var text = await first.Content.ReadAsStringAsync();
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(text));

        Assert.Equal("PENDING", await sim.StatusAsync(id));
    }

    [Fact]
    public async Task Slow_marker_delays_answers()
    {
        await using var sim = await Sim.StartAsync();
        var watch = Stopwatch.StartNew();
        var id = await sim.SubmitOkAsync("x [sim:slow=300]");
        Assert.True(watch.ElapsedMilliseconds >= 290, $"submit took {watch.ElapsedMilliseconds} ms");

        watch.Restart();
        await sim.QueryAsync(id);
        Assert.True(watch.ElapsedMilliseconds >= 290, $"query took {watch.ElapsedMilliseconds} ms");

        var fast = await sim.SubmitOkAsync("no markers");
        watch.Restart();
        await sim.QueryAsync(fast);
        Assert.True(watch.ElapsedMilliseconds < 250, $"unmarked query took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Truncate_marker_sends_half_the_declared_length_then_aborts_once()
    {
        await using var sim = await Sim.StartAsync(o => o.VideoSizeBytes = 200_000);
        var url = await VideoTests.SucceededVideoUrlAsync(sim, "x [sim:truncate]");

        using (var response = await sim.Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(200_000, response.Content.Headers.ContentLength);
            await using var body = await response.Content.ReadAsStreamAsync();
            var received = 0;
            var buffer = new byte[16 * 1024];
            var failure = await Record.ExceptionAsync(async () =>
            {
                int n;
                while ((n = await body.ReadAsync(buffer)) > 0)
                {
                    received += n;
                }
            });
            Assert.True(failure is IOException or HttpRequestException, $"expected a broken transfer, got {failure?.GetType().Name ?? "none"}");
            // Half is sent; a reset may still swallow some of it in flight, never add to it.
            Assert.InRange(received, 1, 100_000);
        }

        var second = await sim.Http.GetByteArrayAsync(url);
        Assert.Equal(200_000, second.Length);
    }

    [Fact]
    public async Task Pending_forever_marker_never_leaves_pending_but_can_be_canceled()
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync("x [sim:pending-forever]");
        sim.Advance(3600);
        Assert.Equal("PENDING", await sim.StatusAsync(id));
        using var cancel = await sim.Http.PostAsync($"api/v1/tasks/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("CANCELED", await sim.StatusAsync(id));
    }

    [Fact]
    public async Task Unknown_marker_reports_UNKNOWN_once_generation_would_have_finished()
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync("x [sim:unknown]");
        sim.Advance(15);
        Assert.Equal("RUNNING", await sim.StatusAsync(id));
        sim.Advance(15);
        Assert.Equal("UNKNOWN", await sim.StatusAsync(id));
    }

    [Fact]
    public async Task Pending_and_running_markers_override_the_timing_of_one_task()
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync("x [sim:pending=1] [sim:running=2]");
        sim.Advance(1);
        Assert.Equal("RUNNING", await sim.StatusAsync(id));
        sim.Advance(2);
        Assert.Equal("SUCCEEDED", await sim.StatusAsync(id));
    }

    [Fact]
    public async Task Default_markers_from_options_apply_to_every_task_and_prompt_markers_win()
    {
        await using var sim = await Sim.StartAsync(o => o.DefaultMarkers = "[sim:fail=DataInspectionFailed]");
        var plain = await sim.SubmitOkAsync("plain");
        var own = await sim.SubmitOkAsync("own [sim:fail=InvalidURL]");
        sim.Advance(30);
        Assert.Equal("DataInspectionFailed", (string?)(await sim.QueryAsync(plain))["output"]!["code"]);
        Assert.Equal("InvalidURL", (string?)(await sim.QueryAsync(own))["output"]!["code"]);
    }

    [Fact]
    public async Task Fail_every_nth_task_is_deterministic()
    {
        await using var sim = await Sim.StartAsync(o =>
        {
            o.FailEveryNthTask = 2;
            o.MaxConcurrentTasks = 10;
        });
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await sim.SubmitOkAsync($"task {i}"));
        }

        sim.Advance(30);
        var statuses = new List<string>();
        foreach (var id in ids)
        {
            statuses.Add(await sim.StatusAsync(id));
        }

        Assert.Equal(["SUCCEEDED", "FAILED", "SUCCEEDED", "FAILED"], statuses);
        Assert.Equal("InternalError.Algo", (string?)(await sim.QueryAsync(ids[1]))["output"]!["code"]);
    }

    [Fact]
    public async Task State_marker_reports_an_unlisted_state_for_the_first_half_of_RUNNING_then_finishes()
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync("x [sim:state=PRE-PROCESSING]");
        Assert.Equal("PENDING", await sim.StatusAsync(id));
        sim.Advance(10);
        var output = (await sim.QueryAsync(id))["output"]!;
        Assert.Equal("PRE-PROCESSING", (string?)output["task_status"]);
        Assert.NotNull((string?)output["scheduled_time"]);

        using (var list = await sim.Http.GetAsync("api/v1/tasks?status=PRE-PROCESSING"))
        {
            var item = Assert.Single((await Sim.ReadJsonAsync(list))["data"]!.AsArray());
            Assert.Equal("PRE-PROCESSING", (string?)item!["status"]);
        }

        sim.Advance(10);
        Assert.Equal("RUNNING", await sim.StatusAsync(id));
        sim.Advance(10);
        Assert.Equal("SUCCEEDED", await sim.StatusAsync(id));
    }

    [Fact]
    public async Task Revoke_key_marker_answers_401_to_every_query_and_cancel_after_the_first_N_queries()
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync("x [sim:revoke-key]");
        var other = await sim.SubmitOkAsync("an unmarked task");

        Assert.Equal("PENDING", await sim.StatusAsync(id));
        for (var i = 0; i < 2; i++)
        {
            using var query = await sim.Http.GetAsync($"api/v1/tasks/{id}");
            Assert.Equal(HttpStatusCode.Unauthorized, query.StatusCode);
            var body = await Sim.ReadJsonAsync(query);
            Assert.Equal("InvalidApiKey", (string?)body["code"]);
            Assert.False(string.IsNullOrEmpty((string?)body["message"]));
            Assert.False(string.IsNullOrEmpty((string?)body["request_id"]));
        }

        using var cancel = await sim.Http.PostAsync($"api/v1/tasks/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Unauthorized, cancel.StatusCode);
        Assert.Equal("InvalidApiKey", (string?)(await Sim.ReadJsonAsync(cancel))["code"]);
        Assert.Equal("PENDING", await sim.StatusAsync(other));
    }

    [Fact]
    public async Task Revoke_key_marker_leaves_cancel_working_until_the_key_is_revoked()
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync("x [sim:revoke-key=2]");
        Assert.Equal("PENDING", await sim.StatusAsync(id));

        using var cancel = await sim.Http.PostAsync($"api/v1/tasks/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("CANCELED", await sim.StatusAsync(id));
    }

    [Theory]
    [InlineData("[sim:query429=x]")]
    [InlineData("[sim:slow]")]
    [InlineData("[sim:fail]")]
    [InlineData("[sim:unknown=3]")]
    [InlineData("[sim:state]")]
    [InlineData("[sim:state=PRE PROCESSING]")]
    [InlineData("[sim:revoke-key=x]")]
    [InlineData("[sim:accept-late]")]
    [InlineData("[sim:accept500=x]")]
    public async Task Malformed_marker_values_are_rejected(string marker)
    {
        await using var sim = await Sim.StartAsync();
        using var response = await sim.SubmitAsync(Sim.Body($"x {marker}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(marker, (string?)(await Sim.ReadJsonAsync(response))["message"]);
    }
}
