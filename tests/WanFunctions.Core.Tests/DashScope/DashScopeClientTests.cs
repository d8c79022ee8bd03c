using System.Net;
using System.Text.Json;
using WanFunctions.DashScope;
using static WanFunctions.Core.Tests.DashScope.DashScopeTestContext;

namespace WanFunctions.Core.Tests.DashScope;

public class DashScopeClientTests
{
    private const string SubmitOk = """{"output":{"task_status":"PENDING","task_id":"0385dc79-5ff8-4d82-bcb6-xxxxxx"},"request_id":"4909100c-7b5a-9f92-bfe5-xxxxxx"}""";

    // ---- submit ----

    [Fact]
    public async Task Submit_sends_async_header_bearer_and_snake_case_body_without_nulls()
    {
        var (client, handler, logger) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, SubmitOk));

        var submitted = await client.SubmitAsync(Request());

        Assert.Equal("0385dc79-5ff8-4d82-bcb6-xxxxxx", submitted.TaskId);
        Assert.Contains(logger.Entries, e => e.Message.Contains("submitted, state Pending"));
        Assert.Equal("4909100c-7b5a-9f92-bfe5-xxxxxx", submitted.RequestId);

        var sent = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal("https://dashscope.test/api/v1/services/aigc/video-generation/video-synthesis", sent.Uri.AbsoluteUri);
        Assert.Equal("Bearer " + ApiKey, sent.Headers["Authorization"]);
        Assert.Equal("enable", sent.Headers["X-DashScope-Async"]);
        Assert.Equal("application/json", sent.ContentType);

        using var doc = JsonDocument.Parse(sent.Body!);
        var root = doc.RootElement;
        Assert.Equal("wan2.6-r2v-flash", root.GetProperty("model").GetString());
        var input = root.GetProperty("input");
        Assert.Equal("character1 waves at character2", input.GetProperty("prompt").GetString());
        Assert.False(input.TryGetProperty("negative_prompt", out _));
        Assert.Equal(2, input.GetProperty("reference_urls").GetArrayLength());
        var parameters = root.GetProperty("parameters");
        Assert.Equal("1280*720", parameters.GetProperty("size").GetString());
        Assert.Equal(5, parameters.GetProperty("duration").GetInt32());
        Assert.True(parameters.GetProperty("audio").GetBoolean());
        Assert.Equal("multi", parameters.GetProperty("shot_type").GetString());
        Assert.Equal(42, parameters.GetProperty("seed").GetInt64());
        Assert.False(parameters.TryGetProperty("watermark", out _));
        Assert.DoesNotContain("null", sent.Body);
        Assert.DoesNotContain("Prompt", sent.Body); // no PascalCase leaks
    }

    [Fact]
    public async Task Submit_writes_negative_prompt_and_false_booleans()
    {
        var (client, handler, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, SubmitOk));

        await client.SubmitAsync(Request() with { NegativePrompt = "blur", Audio = false, Watermark = false });

        using var doc = JsonDocument.Parse(handler.Last.Body!);
        Assert.Equal("blur", doc.RootElement.GetProperty("input").GetProperty("negative_prompt").GetString());
        Assert.False(doc.RootElement.GetProperty("parameters").GetProperty("audio").GetBoolean());
        Assert.False(doc.RootElement.GetProperty("parameters").GetProperty("watermark").GetBoolean());
    }

    [Fact]
    public async Task Submit_without_any_parameter_omits_the_parameters_object()
    {
        var (client, handler, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, SubmitOk));

        await client.SubmitAsync(new VideoSynthesisRequest("wan2.6-r2v", "character1 walks", null, ["https://x.test/a.png"]));

        using var doc = JsonDocument.Parse(handler.Last.Body!);
        Assert.False(doc.RootElement.TryGetProperty("parameters", out _));
    }

    [Fact]
    public async Task Base_url_path_prefix_is_kept()
    {
        var (client, handler, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, SubmitOk), new Uri("http://localhost:5055/sim/dashscope"));

        await client.SubmitAsync(Request());

        Assert.Equal("http://localhost:5055/sim/dashscope/api/v1/services/aigc/video-generation/video-synthesis", handler.Last.Uri.AbsoluteUri);
    }

    [Theory]
    [InlineData("""{"request_id":"r"}""")]
    [InlineData("""{"output":{"task_status":"PENDING"},"request_id":"r"}""")]
    [InlineData("""{"output":{"task_id":"","task_status":"PENDING"}}""")]
    [InlineData("not json at all")]
    [InlineData("")]
    [InlineData("[1,2]")]
    public async Task Submit_200_without_a_task_id_is_a_transient_malformed_response(string body)
    {
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, body));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request()));

        Assert.Equal("MalformedResponse", ex.Code);
        Assert.True(ex.IsTransient);
        Assert.Equal(HttpStatusCode.OK, ex.StatusCode);
    }

    // ---- query ----

    [Theory]
    [InlineData("PENDING", DashScopeTaskState.Pending)]
    [InlineData("RUNNING", DashScopeTaskState.Running)]
    [InlineData("FAILED", DashScopeTaskState.Failed)]
    [InlineData("CANCELED", DashScopeTaskState.Canceled)]
    [InlineData("UNKNOWN", DashScopeTaskState.Unknown)]
    [InlineData("SUSPENDED", DashScopeTaskState.Other)]
    [InlineData("PRE-PROCESSING", DashScopeTaskState.Other)]
    [InlineData("POST-PROCESSING", DashScopeTaskState.Other)]
    [InlineData("running", DashScopeTaskState.Running)]
    public async Task Query_maps_every_state(string wire, DashScopeTaskState expected)
    {
        var (client, handler, logger) = Create(_ => FakeHandler.Json(HttpStatusCode.OK,
            $$$"""{"request_id":"q1","output":{"task_id":"t-1","task_status":"{{{wire}}}"}}"""));

        var status = await client.GetTaskAsync("t-1");

        Assert.Equal(expected, status.State);
        Assert.Equal(wire, status.RawState);
        Assert.Equal("t-1", status.TaskId);
        Assert.Contains(logger.Entries, e => e.Message.Contains("request q1"));
        Assert.Equal(HttpMethod.Get, handler.Last.Method);
        Assert.Equal("https://dashscope.test/api/v1/tasks/t-1", handler.Last.Uri.AbsoluteUri);
        Assert.Equal("Bearer " + ApiKey, handler.Last.Headers["Authorization"]);
        Assert.False(handler.Last.Headers.ContainsKey("X-DashScope-Async"));
    }

    [Fact]
    public async Task A_state_the_docs_do_not_list_is_not_terminal_and_keeps_the_providers_string()
    {
        // The list is not closed: the provider's other async APIs report PRE-PROCESSING, its SDK knows SUSPENDED.
        var (client, _, logger) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, """{"output":{"task_id":"t","task_status":" PRE-PROCESSING "}}"""));

        var status = await client.GetTaskAsync("t");

        Assert.Equal(DashScopeTaskState.Other, status.State);
        Assert.False(status.State.IsTerminal());
        Assert.Equal("PRE-PROCESSING", status.RawState);
        Assert.Contains(logger.Entries, e => e.Message.Contains("unrecognised state") && e.Message.Contains("PRE-PROCESSING"));
    }

    [Fact]
    public async Task An_outlandish_raw_state_is_scrubbed_and_cut_short()
    {
        var state = "https://evil.test/x?sig=SECRETSIG " + new string('X', 100) + " " + ApiKey;
        var (client, _, logger) = Create(_ => FakeHandler.Json(HttpStatusCode.OK,
            $$$"""{"output":{"task_id":"t","task_status":"{{{state}}}"}}"""));

        var status = await client.GetTaskAsync("t");

        Assert.Equal(DashScopeTaskState.Other, status.State);
        Assert.True(status.RawState!.Length <= 40, status.RawState);
        Assert.DoesNotContain("SECRETSIG", status.RawState);
        Assert.DoesNotContain("SECRETSIG", logger.AllText);
        Assert.DoesNotContain(ApiKey, logger.AllText);
    }

    [Theory]
    [InlineData(DashScopeTaskState.Pending, false)]
    [InlineData(DashScopeTaskState.Running, false)]
    [InlineData(DashScopeTaskState.Other, false)]
    [InlineData(DashScopeTaskState.Succeeded, true)]
    [InlineData(DashScopeTaskState.Failed, true)]
    [InlineData(DashScopeTaskState.Canceled, true)]
    [InlineData(DashScopeTaskState.Unknown, true)]
    public void Only_succeeded_failed_canceled_and_unknown_are_terminal(DashScopeTaskState state, bool terminal)
    {
        Assert.Equal(terminal, state.IsTerminal());
    }

    [Fact]
    public async Task Succeeded_answer_parses_times_usage_and_url_and_tolerates_unknown_fields()
    {
        const string body = """
        {
          "request_id": "caa62a12-8841-41a6-8af2-xxxxxx",
          "output": {
            "task_id": "eff1443c-ccab-4676-aad3-xxxxxx",
            "task_status": "SUCCEEDED",
            "submit_time": "2025-12-16 00:25:59.869",
            "scheduled_time": "2025-12-16 00:25:59.900",
            "end_time": "2025-12-16 00:30:35.396",
            "orig_prompt": "character1 …",
            "video_url": "https://dashscope-result-sh.oss-cn-shanghai.aliyuncs.com/xxx.mp4?Expires=1766&OSSAccessKeyId=LTAI&Signature=abc",
            "task_metrics": {"TOTAL": 1, "SUCCEEDED": 1, "FAILED": 0},
            "brand_new_field": {"nested": [1, 2, 3]}
          },
          "usage": {
            "duration": 10.0,
            "input_video_duration": 5,
            "output_video_duration": "5",
            "SR": 720,
            "size": "1280*720",
            "video_count": 1,
            "another_new_field": true
          },
          "top_level_extra": null
        }
        """;
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, body));

        var status = await client.GetTaskAsync("eff1443c-ccab-4676-aad3-xxxxxx");

        Assert.Equal(DashScopeTaskState.Succeeded, status.State);
        Assert.StartsWith("https://dashscope-result-sh.oss-cn-shanghai.aliyuncs.com/xxx.mp4?", status.VideoUrl);
        // Wall clock in the provider's zone (UTC+8 by default), returned as UTC instants.
        Assert.Equal(new DateTimeOffset(2025, 12, 16, 0, 25, 59, 869, TimeSpan.FromHours(8)), status.SubmitTime);
        Assert.Equal(new DateTimeOffset(2025, 12, 16, 0, 25, 59, 900, TimeSpan.FromHours(8)), status.ScheduledTime);
        Assert.Equal(new DateTimeOffset(2025, 12, 16, 0, 30, 35, 396, TimeSpan.FromHours(8)), status.EndTime);
        Assert.Equal(TimeSpan.Zero, status.EndTime!.Value.Offset);
        Assert.NotNull(status.Usage);
        Assert.Equal(10.0, status.Usage!.Duration);
        Assert.Equal(5.0, status.Usage.InputVideoDuration);
        Assert.Equal(5.0, status.Usage.OutputVideoDuration);
        Assert.Equal("720", status.Usage.SR);
        Assert.Equal("1280*720", status.Usage.Size);
        Assert.Equal(1, status.Usage.VideoCount);
        Assert.Null(status.Code);
    }

    [Fact]
    public async Task Running_answer_with_task_metrics_and_no_times_is_fine()
    {
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK,
            """{"request_id":"r","output":{"task_id":"t","task_status":"RUNNING","submit_time":"2025-01-01 00:00:00.000","task_metrics":{"TOTAL":1,"SUCCEEDED":0,"FAILED":0}}}"""));

        var status = await client.GetTaskAsync("t");

        Assert.Equal(DashScopeTaskState.Running, status.State);
        Assert.False(status.State.IsTerminal());
        Assert.Null(status.EndTime);
        Assert.Null(status.Usage);
        Assert.Null(status.VideoUrl);
    }

    [Fact]
    public async Task Failed_task_at_http_200_is_returned_with_code_and_message_not_thrown()
    {
        var (client, _, logger) = Create(_ => FakeHandler.Json(HttpStatusCode.OK,
            """{"request_id":"r9","output":{"task_id":"t","task_status":"FAILED","code":"IPInfringementSuspect","message":"Input data may contain suspected IP infringement.","submit_time":"2025-01-01 10:00:00.000","end_time":"2025-01-01 10:00:05.123"}}"""));

        var status = await client.GetTaskAsync("t");

        Assert.Equal(DashScopeTaskState.Failed, status.State);
        Assert.Equal("IPInfringementSuspect", status.Code);
        Assert.Equal("Input data may contain suspected IP infringement.", status.Message);
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 10, 0, 5, 123, TimeSpan.FromHours(8)), status.EndTime);
        Assert.Contains(logger.Entries, e => e.Message.Contains("IPInfringementSuspect"));
    }

    [Fact]
    public async Task Unknown_task_answer_is_returned_as_unknown()
    {
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK,
            """{"request_id":"r","output":{"task_id":"expired-id","task_status":"UNKNOWN"}}"""));

        var status = await client.GetTaskAsync("expired-id");

        Assert.Equal(DashScopeTaskState.Unknown, status.State);
        Assert.True(status.State.IsTerminal());
    }

    [Fact]
    public async Task Query_without_task_id_in_answer_falls_back_to_the_requested_id()
    {
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, """{"output":{"task_status":"PENDING"}}"""));

        var status = await client.GetTaskAsync("abc");

        Assert.Equal("abc", status.TaskId);
    }

    [Theory]
    [InlineData("""{"request_id":"r"}""")]
    [InlineData("""{"output":{"task_id":"t"}}""")]
    [InlineData("""{"output":{"task_id":"t","task_status":"SUCCEEDED"}}""")]
    [InlineData("""{"output":""")]
    [InlineData("<html>gateway</html>")]
    [InlineData("""{"output":{"task_id":"t","task_status":"RUNNING"},"usage":{"video_count":"many"}}""")]
    public async Task Query_malformed_answers_are_transient(string body)
    {
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, body));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.GetTaskAsync("t"));

        Assert.Equal("MalformedResponse", ex.Code);
        Assert.True(ex.IsTransient);
    }

    [Theory]
    [InlineData("08:00", "2025-12-16 00:25:59.869", "2025-12-15T16:25:59.869Z")]
    [InlineData("05:30", "2025-12-16 00:25:59.869", "2025-12-15T18:55:59.869Z")]
    [InlineData("-03:00", "2025-12-16 00:25:59", "2025-12-16T03:25:59Z")]
    [InlineData("00:00", "2025-12-16T00:25:59.8", "2025-12-16T00:25:59.8Z")]
    public async Task Provider_times_are_wall_clock_in_the_provider_zone(string offset, string wire, string utc)
    {
        var options = Options();
        options.ProviderTimeOffset = TimeSpan.Parse(offset, System.Globalization.CultureInfo.InvariantCulture);
        var handler = new FakeHandler(_ => FakeHandler.Json(HttpStatusCode.OK,
            $$$"""{"output":{"task_id":"t","task_status":"RUNNING","submit_time":"{{{wire}}}","scheduled_time":"{{{wire}}}"}}"""));
        var client = new DashScopeClient(new HttpClient(handler), Microsoft.Extensions.Options.Options.Create(options), new CapturingLogger<DashScopeClient>());

        var status = await client.GetTaskAsync("t");

        var expected = DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected, status.SubmitTime);
        Assert.Equal(expected, status.ScheduledTime);
        Assert.Equal(TimeSpan.Zero, status.SubmitTime!.Value.Offset);
    }

    [Fact]
    public async Task A_wall_clock_that_would_fall_off_the_calendar_is_null()
    {
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK,
            """{"output":{"task_id":"t","task_status":"RUNNING","submit_time":"0001-01-01 00:00:00.000"}}"""));

        var status = await client.GetTaskAsync("t");

        Assert.Null(status.SubmitTime);
    }

    [Fact]
    public async Task Unparseable_times_are_null_rather_than_errors()
    {
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK,
            """{"output":{"task_id":"t","task_status":"PENDING","submit_time":"yesterday","scheduled_time":""}}"""));

        var status = await client.GetTaskAsync("t");

        Assert.Null(status.SubmitTime);
        Assert.Null(status.ScheduledTime);
    }

    [Theory]
    [InlineData("a/b", "https://dashscope.test/api/v1/tasks/a%2Fb")]
    [InlineData("a?b=c", "https://dashscope.test/api/v1/tasks/a%3Fb%3Dc")]
    [InlineData("id with space", "https://dashscope.test/api/v1/tasks/id%20with%20space")]
    public async Task Task_id_is_escaped_in_the_path(string taskId, string expected)
    {
        var (client, handler, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, """{"output":{"task_id":"x","task_status":"PENDING"}}"""));

        await client.GetTaskAsync(taskId);

        Assert.Equal(expected, handler.Last.Uri.AbsoluteUri);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("..")]
    [InlineData(".")]
    public async Task Invalid_task_ids_are_rejected_before_any_call(string taskId)
    {
        var (client, handler, _) = Create(_ => throw new InvalidOperationException("no call expected"));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.GetTaskAsync(taskId));
        Assert.Equal(0, handler.Count);
    }

    // ---- cancel ----

    [Fact]
    public async Task Cancel_posts_to_the_cancel_route()
    {
        var (client, handler, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, """{"request_id":"c1"}"""));

        await client.CancelAsync("t-9");

        Assert.Equal(HttpMethod.Post, handler.Last.Method);
        Assert.Equal("https://dashscope.test/api/v1/tasks/t-9/cancel", handler.Last.Uri.AbsoluteUri);
        Assert.Equal("Bearer " + ApiKey, handler.Last.Headers["Authorization"]);
    }

    [Fact]
    public async Task Cancel_with_empty_200_body_succeeds()
    {
        var (client, _, _) = Create(_ => new HttpResponseMessage(HttpStatusCode.OK));

        await client.CancelAsync("t-9");
    }

    [Fact]
    public async Task Cancel_of_a_task_not_pending_is_a_permanent_unsupported_operation()
    {
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.BadRequest,
            """{"request_id":"4d496c94-1389-9ca9-a92a-3e732f675686","code":"UnsupportedOperation","message":"Failed to cancel the task, please confirm if the task is in PENDING status."}"""));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.CancelAsync("t"));

        Assert.Equal("UnsupportedOperation", ex.Code);
        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.False(ex.IsTransient);
        Assert.Equal("4d496c94-1389-9ca9-a92a-3e732f675686", ex.RequestId);
        Assert.StartsWith("Failed to cancel the task", ex.ProviderMessage);
    }

    // ---- list ----

    [Fact]
    public async Task List_builds_the_query_string_and_reads_the_page()
    {
        const string body = """{"total":1,"data":[{"api_key_id":"42677","end_time":1709260685184,"gmt_create":1709260684485,"model_name":"wan2.6-r2v-flash","region":"cn-beijing","request_id":"db5c","start_time":1709260684527,"status":"SUCCEEDED","task_id":"6075262c"}],"total_page":1,"page_no":2,"request_id":"fcb2","page_size":5}""";
        var (client, handler, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, body));

        var page = await client.ListTasksAsync(new DashScopeTaskQuery(
            PageNo: 2, PageSize: 5,
            // Instants in the provider's zone (UTC+8) go out as they read; see DashScopeSubmitOutcomeTests for UTC ones.
            StartTime: new DateTimeOffset(2025, 3, 1, 8, 5, 9, TimeSpan.FromHours(8)),
            EndTime: new DateTimeOffset(2025, 3, 2, 23, 59, 59, TimeSpan.FromHours(8)),
            ModelName: "wan2.6-r2v-flash"));

        Assert.Equal(HttpMethod.Get, handler.Last.Method);
        Assert.Equal(
            "https://dashscope.test/api/v1/tasks?page_no=2&page_size=5&start_time=20250301080509&end_time=20250302235959&model_name=wan2.6-r2v-flash",
            handler.Last.Uri.AbsoluteUri);
        Assert.Equal(1, page.Total);
        var task = Assert.Single(page.Tasks);
        Assert.Equal("6075262c", task.TaskId);
        Assert.Equal(DashScopeTaskState.Succeeded, task.State);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1709260684485), task.SubmitTime);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1709260685184), task.EndTime);
    }

    [Fact]
    public async Task List_with_defaults_sends_only_paging()
    {
        var (client, handler, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, """{"total":0,"data":[],"page_no":1,"page_size":10}"""));

        var page = await client.ListTasksAsync(new DashScopeTaskQuery());

        Assert.Equal("https://dashscope.test/api/v1/tasks?page_no=1&page_size=10", handler.Last.Uri.AbsoluteUri);
        Assert.Empty(page.Tasks);
        Assert.Equal(0, page.Total);
    }

    [Fact]
    public async Task List_escapes_the_model_filter()
    {
        var (client, handler, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, """{"data":[]}"""));

        await client.ListTasksAsync(new DashScopeTaskQuery(ModelName: "a&b=c"));

        Assert.EndsWith("&model_name=a%26b%3Dc", handler.Last.Uri.AbsoluteUri);
    }

    // ---- cancellation by the caller ----

    [Fact]
    public async Task Caller_cancellation_propagates_unwrapped()
    {
        var handler = new FakeHandler(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        var (client, _, _) = Create(handler);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetTaskAsync("t", cts.Token));

        Assert.IsNotType<DashScopeException>(ex);
    }

    [Fact]
    public async Task Already_cancelled_token_throws_operation_cancelled()
    {
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, SubmitOk));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.SubmitAsync(Request(), new CancellationToken(canceled: true)));
    }
}
