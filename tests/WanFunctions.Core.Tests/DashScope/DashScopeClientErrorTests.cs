using System.Net;
using Polly.Timeout;
using WanFunctions.DashScope;
using static WanFunctions.Core.Tests.DashScope.DashScopeTestContext;

namespace WanFunctions.Core.Tests.DashScope;

public class DashScopeClientErrorTests
{
    [Theory]
    [InlineData(400, "InvalidParameter", false)]
    [InlineData(400, "DataInspectionFailed", false)]
    [InlineData(400, "InvalidParameter.DataInspection", false)]
    [InlineData(400, "InvalidURL", false)]
    [InlineData(400, "Arrearage", false)]
    [InlineData(400, "BadRequest.EmptyInput", false)]
    [InlineData(401, "InvalidApiKey", false)]
    [InlineData(403, "AccessDenied", false)]
    [InlineData(403, "AccessDenied.Unpurchased", false)]
    [InlineData(404, "ModelNotFound", false)]
    [InlineData(408, "RequestTimeOut", true)]
    [InlineData(413, "BadRequest.TooLarge", false)]
    [InlineData(429, "Throttling", true)]
    [InlineData(429, "Throttling.RateQuota", true)]
    [InlineData(429, "Throttling.AllocationQuota", true)]
    [InlineData(500, "InternalError", true)]
    [InlineData(500, "InternalError.Algo", true)]
    [InlineData(502, "BadGateway", true)]
    [InlineData(503, "ServiceUnavailable", true)]
    [InlineData(504, "GatewayTimeout", true)]
    public async Task Documented_errors_map_to_code_status_and_transience(int status, string code, bool transient)
    {
        var (client, _, logger) = Create(_ => FakeHandler.Json((HttpStatusCode)status,
            $$$"""{"code":"{{{code}}}","message":"Provider says {{{code}}}.","request_id":"req-{{{status}}}"}"""));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request()));

        Assert.Equal(code, ex.Code);
        Assert.Equal((HttpStatusCode)status, ex.StatusCode);
        Assert.Equal(transient, ex.IsTransient);
        Assert.Equal($"req-{status}", ex.RequestId);
        Assert.Equal($"Provider says {code}.", ex.ProviderMessage);
        Assert.Equal($"DashScope {code}: Provider says {code}.", ex.Message);
        Assert.Contains(logger.Entries, e => e.Message.Contains(status.ToString()) && e.Message.Contains($"req-{status}"));
    }

    [Theory]
    [InlineData(503, "ServiceUnavailable", true)]
    [InlineData(502, "BadGateway", true)]
    [InlineData(404, "NotFound", false)]
    [InlineData(418, "Http418", false)]
    public async Task Errors_without_a_provider_body_fall_back_to_the_status(int status, string code, bool transient)
    {
        var (client, _, _) = Create(_ => new HttpResponseMessage((HttpStatusCode)status)
        {
            Content = new StringContent("<html><body>upstream error</body></html>"),
        });

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.GetTaskAsync("t"));

        Assert.Equal(code, ex.Code);
        Assert.Equal(transient, ex.IsTransient);
        Assert.Contains(status.ToString(), ex.ProviderMessage);
    }

    [Fact]
    public async Task Long_provider_messages_are_truncated()
    {
        var longMessage = new string('x', 2000);
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.BadRequest, $$$"""{"code":"InvalidParameter","message":"{{{longMessage}}}"}"""));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request()));

        Assert.InRange(ex.ProviderMessage.Length, 1, DashScopeClient.MaxMessageLength);
        Assert.InRange(ex.Message.Length, 1, DashScopeClient.MaxMessageLength + 100);
    }

    [Fact]
    public async Task HttpClient_timeout_is_a_transient_timeout()
    {
        var handler = new FakeHandler(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        var (client, _, _) = Create(handler, httpTimeout: TimeSpan.FromMilliseconds(50));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.GetTaskAsync("t"));

        Assert.Equal("Timeout", ex.Code);
        Assert.True(ex.IsTransient);
        Assert.Null(ex.StatusCode);
    }

    [Fact]
    public async Task Resilience_attempt_timeout_is_a_transient_timeout()
    {
        var (client, _, _) = Create(_ => throw new TimeoutRejectedException(TimeSpan.FromSeconds(30)));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request()));

        Assert.Equal("Timeout", ex.Code);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task Connection_failure_is_transient()
    {
        var (client, _, _) = Create(_ => throw new HttpRequestException("Connection refused (dashscope.test:443)"));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.ListTasksAsync(new DashScopeTaskQuery()));

        Assert.Equal("ConnectionFailed", ex.Code);
        Assert.True(ex.IsTransient);
        Assert.Null(ex.StatusCode);
        Assert.IsType<HttpRequestException>(ex.InnerException);
    }

    [Fact]
    public async Task Open_circuit_is_transient()
    {
        var (client, _, _) = Create(_ => throw new Polly.CircuitBreaker.BrokenCircuitException("open"));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.GetTaskAsync("t"));

        Assert.Equal("CircuitOpen", ex.Code);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task Malformed_error_body_on_200_is_transient_malformed_response()
    {
        var (client, _, _) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, "{\"output\": {\"task_id\": 12"));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.GetTaskAsync("t"));

        Assert.Equal("MalformedResponse", ex.Code);
        Assert.True(ex.IsTransient);
    }
}
