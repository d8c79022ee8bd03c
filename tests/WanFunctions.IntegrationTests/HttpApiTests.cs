using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using DashScope.Simulator;
using Microsoft.DurableTask.Client;
using WanFunctions.Workflow;

namespace WanFunctions.IntegrationTests;

/// <summary>The HTTP API's own guarantees on the real engine: idempotency keys, media types, broken jobs, unhandled errors.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class HttpApiTests(AzuriteFixture azurite)
{
    const string SubmitPath = "/api/v1/services/aigc/video-generation/video-synthesis";

    static object Job(string prompt, string? idempotencyKey = null) => new
    {
        prompt,
        references = new[] { new { url = "https://example.com/people/alice.mp4" } },
        duration = 5,
        idempotencyKey,
    };

    static async Task<(HttpResponseMessage Response, JsonObject Body)> PostAsync(WorkflowHarness world, object job, string? headerKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/videos") { Content = JsonContent.Create(job) };
        if (headerKey is not null)
        {
            request.Headers.Add("Idempotency-Key", headerKey);
        }

        HttpResponseMessage response = await world.Api.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response, string.IsNullOrEmpty(text) ? new JsonObject() : JsonNode.Parse(text)!.AsObject());
    }

    static async Task<List<OrchestrationMetadata>> InstancesAsync(WorkflowHarness world)
    {
        var instances = new List<OrchestrationMetadata>();
        await foreach (OrchestrationMetadata instance in world.Host.Client.GetAllInstancesAsync(new OrchestrationQuery()))
        {
            instances.Add(instance);
        }

        return instances;
    }

    static bool Replayed(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Single() == "true";

    [Fact]
    public async Task A_body_that_is_not_json_is_a_415_and_starts_nothing()
    {
        await using WorkflowHarness world = await WorkflowHarness.StartAsync(azurite);
        const string json = """{"prompt":"character1 waves","references":[{"url":"https://example.com/a.mp4"}]}""";

        using HttpResponseMessage text = await world.Api.PostAsync("api/videos", new StringContent(json, Encoding.UTF8, "text/plain"));
        using HttpResponseMessage form = await world.Api.PostAsync("api/videos", new FormUrlEncodedContent([new("prompt", "character1 waves")]));
        using HttpResponseMessage untyped = await world.Api.PostAsync("api/videos", new ByteArrayContent(Encoding.UTF8.GetBytes(json)));
        using HttpResponseMessage typed = await world.Api.PostAsync("api/videos",
            new StringContent(json, Encoding.UTF8, "application/vnd.wanfunctions.job+json"));

        foreach (HttpResponseMessage refused in new[] { text, form, untyped })
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
            Assert.Contains("application/json", await refused.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.Accepted, typed.StatusCode);
        Assert.Single(await InstancesAsync(world));
    }

    [Fact]
    public async Task An_orchestration_that_throws_reads_Failed_WorkflowFailed_in_status_and_list_without_a_stack_trace()
    {
        await using WorkflowHarness world = await WorkflowHarness.StartAsync(azurite);
        // A broken job: no schedule, no job. The orchestrator throws (NullReferenceException) and the instance fails.
        string id = await world.Host.Client.ScheduleNewOrchestrationInstanceAsync(WorkflowNames.Orchestrator, new { jobId = "broken" });
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            OrchestrationMetadata failed = await world.Host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, wait.Token);
            Assert.Equal(OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);
        }

        using HttpResponseMessage statusResponse = await world.Api.GetAsync($"api/videos/{id}");
        string statusText = await statusResponse.Content.ReadAsStringAsync();
        using HttpResponseMessage listResponse = await world.Api.GetAsync("api/videos");
        string listText = await listResponse.Content.ReadAsStringAsync();

        Assert.True(statusResponse.StatusCode == HttpStatusCode.OK, statusText);
        JsonObject status = JsonNode.Parse(statusText)!.AsObject();
        Assert.Equal("Failed", (string)status["status"]!);
        Assert.Equal("Failed", (string)status["runtimeStatus"]!);
        Assert.Equal("WorkflowFailed", (string)status["error"]!["code"]!);
        Assert.Equal("workflow", (string)status["error"]!["source"]!);
        Assert.Contains("Object reference not set", (string)status["error"]!["message"]!);
        Assert.DoesNotContain(" at ", statusText);
        Assert.True(listResponse.StatusCode == HttpStatusCode.OK, listText);
        JsonNode item = Assert.Single(JsonNode.Parse(listText)!["items"]!.AsArray(), i => (string)i!["id"]! == id)!;
        Assert.Equal("Failed", (string)item["status"]!);
    }
}
