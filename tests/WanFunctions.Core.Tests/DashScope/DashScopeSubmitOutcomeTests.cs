using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;
using WanFunctions.DashScope;
using static WanFunctions.Core.Tests.DashScope.DashScopeTestContext;

namespace WanFunctions.Core.Tests.DashScope;

/// <summary>
/// A failed submit is either "the provider certainly created nothing" (safe to submit again) or "outcome unknown"
/// (a task may exist and be billed: settle it, never resubmit blindly).
/// </summary>
public class DashScopeSubmitOutcomeTests
{
    [Theory]
    [InlineData(400, "InvalidParameter")]
    [InlineData(401, "InvalidApiKey")]
    [InlineData(429, "Throttling.RateQuota")]
    [InlineData(429, "Throttling.AllocationQuota")]
    [InlineData(500, "InternalError")]
    [InlineData(503, "ServiceUnavailable")]
    public async Task The_providers_error_body_means_nothing_was_created(int status, string code)
    {
        var (client, _, _) = Create(_ => FakeHandler.Json((HttpStatusCode)status,
            $$$"""{"code":"{{{code}}}","message":"Provider says no.","request_id":"req-1"}"""));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request()));

        Assert.Equal(code, ex.Code);
        Assert.False(ex.OutcomeUnknown);
    }

    [Theory]
    [InlineData(500, "")]
    [InlineData(502, "<html><body>502 Bad Gateway</body></html>")]
    [InlineData(504, "")]
    [InlineData(503, """{"error":"upstream"}""")]
    [InlineData(404, "<html>not found</html>")]
    public async Task An_http_error_without_the_providers_body_leaves_the_outcome_unknown(int status, string body)
    {
        var (client, _, _) = Create(_ => new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(body) });

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request()));

        Assert.True(ex.OutcomeUnknown);
        Assert.Equal((HttpStatusCode)status, ex.StatusCode);
    }

    [Theory]
    [InlineData("""{"output":{"task_status":"PENDING","task_id":"abc""")]
    [InlineData("""{"request_id":"r"}""")]
    [InlineData("")]
    public async Task A_200_without_a_readable_task_id_leaves_the_outcome_unknown(string body)
    {
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, body));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request()));

        Assert.Equal("MalformedResponse", ex.Code);
        Assert.True(ex.OutcomeUnknown);
    }

    [Fact]
    public async Task A_timeout_after_sending_leaves_the_outcome_unknown()
    {
        var handler = new FakeHandler(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        var (client, _, _) = Create(handler, httpTimeout: TimeSpan.FromMilliseconds(50));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request()));

        Assert.Equal("Timeout", ex.Code);
        Assert.True(ex.OutcomeUnknown);
    }

    [Fact]
    public async Task A_resilience_timeout_leaves_the_outcome_unknown()
    {
        var (client, _, _) = Create(_ => throw new TimeoutRejectedException(TimeSpan.FromSeconds(30)));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request()));

        Assert.True(ex.OutcomeUnknown);
    }

    public static TheoryData<string, Exception> NotSent => new()
    {
        { "refused", new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused)) },
        { "dns", new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known") },
        { "tls", new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established") },
        { "refused socket only", new HttpRequestException("Connection refused", new SocketException((int)SocketError.ConnectionRefused)) },
        { "circuit", new BrokenCircuitException("open") },
        { "rate limiter", new RateLimiterRejectedException(TimeSpan.FromSeconds(2)) },
    };

    [Theory]
    [MemberData(nameof(NotSent))]
    public async Task A_failure_before_the_request_left_means_nothing_was_created(string what, Exception failure)
    {
        var (client, _, _) = Create(_ => throw failure);

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request()));

        Assert.True(ex.IsTransient, what);
        Assert.False(ex.OutcomeUnknown, what);
    }

    public static TheoryData<string, Exception> MaybeSent => new()
    {
        { "response ended", new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely.") },
        { "reset", new HttpRequestException("Error while copying content", new IOException("Connection reset by peer", new SocketException((int)SocketError.ConnectionReset))) },
        { "invalid response", new HttpRequestException(HttpRequestError.InvalidResponse, "Received an invalid status line") },
    };

    [Theory]
    [MemberData(nameof(MaybeSent))]
    public async Task A_failure_after_connecting_leaves_the_outcome_unknown(string what, Exception failure)
    {
        var (client, _, _) = Create(_ => throw failure);

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request()));

        Assert.Equal("ConnectionFailed", ex.Code);
        Assert.True(ex.OutcomeUnknown, what);
    }

    [Fact]
    public async Task Calls_that_create_nothing_never_report_an_unknown_outcome()
    {
        var (client, _, _) = Create(_ => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("<html/>") });

        var query = await Assert.ThrowsAsync<DashScopeException>(() => client.GetTaskAsync("t"));
        var list = await Assert.ThrowsAsync<DashScopeException>(() => client.ListTasksAsync(new DashScopeTaskQuery()));
        var cancel = await Assert.ThrowsAsync<DashScopeException>(() => client.CancelAsync("t"));

        Assert.False(query.OutcomeUnknown);
        Assert.False(list.OutcomeUnknown);
        Assert.False(cancel.OutcomeUnknown);
    }

    [Fact]
    public async Task Through_the_pipeline_a_late_answer_is_one_request_with_an_unknown_outcome()
    {
        var handler = new FakeHandler(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = "https://dashscope.test",
            ["DashScope:ApiKey"] = ApiKey,
            ["DashScope:RetryBaseDelay"] = "00:00:00",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDashScopeClient(config, r => r.AttemptTimeout.Timeout = TimeSpan.FromMilliseconds(50))
            .ConfigurePrimaryHttpMessageHandler(() => handler);
        using var provider = services.BuildServiceProvider();

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => provider.GetRequiredService<IDashScopeClient>().SubmitAsync(Request()));

        Assert.Equal("Timeout", ex.Code);
        Assert.True(ex.OutcomeUnknown);
        Assert.Equal(1, handler.Count);
    }

    // ---- the list and query calls the settling relies on ----

    [Fact]
    public async Task List_time_filters_are_sent_as_provider_wall_clock()
    {
        var (client, handler, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, """{"data":[]}"""));

        await client.ListTasksAsync(new DashScopeTaskQuery(
            StartTime: new DateTimeOffset(2026, 3, 1, 20, 30, 0, TimeSpan.Zero),
            EndTime: new DateTimeOffset(2026, 3, 1, 20, 40, 5, TimeSpan.Zero)));

        // 20:30 UTC is 04:30 the next day at UTC+8.
        Assert.Contains("start_time=20260302043000&end_time=20260302044005", handler.Last.Uri.Query);
    }

    [Fact]
    public async Task List_time_filters_follow_the_configured_provider_zone()
    {
        var handler = new FakeHandler(_ => FakeHandler.Json(HttpStatusCode.OK, """{"data":[]}"""));
        var options = Options();
        options.ProviderTimeOffset = TimeSpan.FromHours(-5);
        var client = new DashScopeClient(new HttpClient(handler), Microsoft.Extensions.Options.Options.Create(options), new CapturingLogger<DashScopeClient>());

        await client.ListTasksAsync(new DashScopeTaskQuery(StartTime: new DateTimeOffset(2026, 3, 1, 2, 0, 0, TimeSpan.Zero)));

        Assert.Contains("start_time=20260228210000", handler.Last.Uri.Query);
    }

    [Fact]
    public async Task Query_reads_the_original_prompt()
    {
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK,
            """{"request_id":"r","output":{"task_id":"t","task_status":"PENDING","orig_prompt":"character1 对 character2 说"}}"""));

        var status = await client.GetTaskAsync("t");

        Assert.Equal("character1 对 character2 说", status.OrigPrompt);
    }
}
