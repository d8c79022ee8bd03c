using System.Net;
using System.Net.Http.Headers;

namespace DashScope.Simulator.Tests;

public class AuthTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key")]
    [InlineData("Basic sim-key")]
    public async Task Every_api_route_rejects_a_bad_or_missing_key_with_InvalidApiKey(string? authorization)
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync();
        using var client = new HttpClient { BaseAddress = sim.Host.BaseUrl };
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        var requests = new[]
        {
            new HttpRequestMessage(HttpMethod.Post, Sim.SubmitPath) { Content = new StringContent(Sim.Body().ToJsonString()) },
            new HttpRequestMessage(HttpMethod.Get, $"api/v1/tasks/{id}"),
            new HttpRequestMessage(HttpMethod.Post, $"api/v1/tasks/{id}/cancel"),
            new HttpRequestMessage(HttpMethod.Get, "api/v1/tasks"),
        };
        foreach (var request in requests)
        {
            request.Headers.Add("X-DashScope-Async", "enable");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var json = await Sim.ReadJsonAsync(response);
            Assert.Equal("InvalidApiKey", (string?)json["code"]);
            Assert.Equal("Invalid API-key provided.", (string?)json["message"]);
            Assert.False(string.IsNullOrEmpty((string?)json["request_id"]));
        }
        // The rejected cancel must not have touched the task.
        Assert.Equal("PENDING", await sim.StatusAsync(id));
    }

    [Fact]
    public async Task Configured_key_replaces_the_default()
    {
        await using var sim = await Sim.StartAsync(o => o.ApiKey = "custom-key");
        Assert.Equal("custom-key", sim.Host.ApiKey);
        await sim.SubmitOkAsync();
        sim.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sim-key");
        using var response = await sim.SubmitAsync(Sim.Body());
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("disable")]
    public async Task Submit_without_async_header_is_refused_with_AccessDenied(string? headerValue)
    {
        await using var sim = await Sim.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, Sim.SubmitPath) { Content = new StringContent(Sim.Body().ToJsonString()) };
        if (headerValue is not null)
        {
            request.Headers.Add("X-DashScope-Async", headerValue);
        }

        using var response = await sim.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var json = await Sim.ReadJsonAsync(response);
        Assert.Equal("AccessDenied", (string?)json["code"]);
        Assert.Equal("current user api does not support synchronous calls", (string?)json["message"]);
        Assert.NotNull((string?)json["request_id"]);
    }
}
