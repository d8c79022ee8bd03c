using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace WanFunctions.IntegrationTests;

/// <summary>
/// The local host is locked outside Development: every /api call needs a key from LocalHost:ApiKeys in x-api-key or
/// x-functions-key, else a 401 problem; /healthz and the OpenAPI document stay open. In Development the API is open.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class ApiKeyTests(AzuriteFixture azurite)
{
    private static HttpClient Anonymous(WorkflowHarness world) => new() { BaseAddress = world.Host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, (string Name, string Value)? header = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (method == HttpMethod.Post)
        {
            request.Content = JsonContent.Create(new { prompt = "character1 waves", references = new[] { new { url = "https://example.com/a.mp4" } } });
        }

        if (header is { } h)
        {
            request.Headers.Add(h.Name, h.Value);
        }

        return await http.SendAsync(request);
    }

    private static async Task<JsonObject> AssertUnauthorizedAsync(HttpResponseMessage response, string title)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("ApiKey header=\"x-api-key\"", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(401, (int)problem["status"]!);
        Assert.Equal(title, (string)problem["title"]!);
        return problem;
    }

    [Fact]
    public async Task Outside_Development_every_api_call_without_a_valid_key_is_a_401_problem()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        using var http = Anonymous(world);

        foreach (var (method, path) in new[]
                 {
                     (HttpMethod.Post, "api/videos"), (HttpMethod.Get, "api/videos"), (HttpMethod.Get, "api/videos/some-job"),
                     (HttpMethod.Post, "api/videos/some-job/cancel"), (HttpMethod.Get, "api/gate"), (HttpMethod.Get, "api/no-such-route"),
                 })
        {
            var none = await AssertUnauthorizedAsync(await SendAsync(http, method, path), "An API key is required.");
            var wrong = await AssertUnauthorizedAsync(
                await SendAsync(http, method, path, ("x-api-key", "not-the-key-0123456789")), "The API key is not valid.");
            var wrongFunctionsKey = await AssertUnauthorizedAsync(
                await SendAsync(http, method, path, ("x-functions-key", WorkflowHarness.ApiKey + "x")), "The API key is not valid.");
            var inQuery = await AssertUnauthorizedAsync(
                await SendAsync(http, method, path + "?code=" + WorkflowHarness.ApiKey), "An API key is required.");

            Assert.Contains("x-api-key", (string)none["detail"]!);
            Assert.DoesNotContain("not-the-key", wrong.ToJsonString());
            Assert.DoesNotContain(WorkflowHarness.ApiKey, wrongFunctionsKey.ToJsonString());
            Assert.Contains("query string", (string)inQuery["detail"]!);
        }

        Assert.Empty(world.Simulator.Requests);
        await foreach (var instance in world.Host.Client.GetAllInstancesAsync(new Microsoft.DurableTask.Client.OrchestrationQuery()))
        {
            Assert.Fail($"No job may start without a key; found {instance.InstanceId}.");
        }
    }

    [Fact]
    public async Task A_key_in_either_header_passes_and_health_and_the_OpenAPI_document_need_none()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        using var http = Anonymous(world);

        using var started = await SendAsync(http, HttpMethod.Post, "api/videos", ("x-api-key", WorkflowHarness.ApiKey));
        using var listed = await SendAsync(http, HttpMethod.Get, "api/videos", ("x-functions-key", WorkflowHarness.ApiKey));
        using var gate = await SendAsync(http, HttpMethod.Get, "api/gate", ("X-Functions-Key", WorkflowHarness.ApiKey));
        using var health = await http.GetAsync("healthz");
        using var document = await http.GetAsync("openapi/v1.json");

        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, gate.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
    }

    [Fact]
    public async Task A_second_configured_key_passes_too_so_keys_can_be_rotated()
    {
        const string next = "it-next-key-abcdef0123456789";
        await using var world = await WorkflowHarness.StartAsync(azurite, overrides: new Dictionary<string, string?> { ["LocalHost:ApiKeys:1"] = next });
        using var http = Anonymous(world);

        using var listed = await SendAsync(http, HttpMethod.Get, "api/videos", ("x-api-key", next));

        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
    }

    [Fact]
    public async Task A_configured_header_name_replaces_x_api_key_and_x_functions_key_still_passes()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite, overrides: new Dictionary<string, string?> { ["LocalHost:ApiKeyHeader"] = "X-Team-Key" });
        using var http = Anonymous(world);

        using var custom = await SendAsync(http, HttpMethod.Get, "api/videos", ("X-Team-Key", WorkflowHarness.ApiKey));
        using var functions = await SendAsync(http, HttpMethod.Get, "api/videos", ("x-functions-key", WorkflowHarness.ApiKey));
        using var old = await SendAsync(http, HttpMethod.Get, "api/videos", ("x-api-key", WorkflowHarness.ApiKey));

        Assert.Equal(HttpStatusCode.OK, custom.StatusCode);
        Assert.Equal(HttpStatusCode.OK, functions.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        Assert.Equal("ApiKey header=\"X-Team-Key\"", Assert.Single(old.Headers.WwwAuthenticate).ToString());
    }

    [Fact]
    public async Task In_Development_the_api_is_open_without_a_key()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite,
            overrides: new Dictionary<string, string?> { ["LocalHost:ApiKeys:0"] = null }, environment: "Development");
        using var http = Anonymous(world);

        using var started = await SendAsync(http, HttpMethod.Post, "api/videos");
        using var listed = await SendAsync(http, HttpMethod.Get, "api/videos");

        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
    }
}
