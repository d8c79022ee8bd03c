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
    private const string SubmitPath = "/api/v1/services/aigc/video-generation/video-synthesis";

    private static object Job(string prompt, string? idempotencyKey = null) => new
    {
        prompt,
        references = new[] { new { url = "https://example.com/people/alice.mp4" } },
        duration = 5,
        idempotencyKey,
    };

    private static async Task<(HttpResponseMessage Response, JsonObject Body)> PostAsync(WorkflowHarness world, object job, string? headerKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/videos") { Content = JsonContent.Create(job) };
        if (headerKey is not null)
        {
            request.Headers.Add("Idempotency-Key", headerKey);
        }

        var response = await world.Api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, string.IsNullOrEmpty(text) ? new JsonObject() : JsonNode.Parse(text)!.AsObject());
    }

    private static async Task<List<OrchestrationMetadata>> InstancesAsync(WorkflowHarness world)
    {
        var instances = new List<OrchestrationMetadata>();
        await foreach (var instance in world.Host.Client.GetAllInstancesAsync(new OrchestrationQuery()))
        {
            instances.Add(instance);
        }

        return instances;
    }

    private static bool Replayed(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Single() == "true";

    [Fact]
    public async Task The_Idempotency_Key_header_starts_the_job_and_the_same_key_in_the_body_finds_it()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);

        var (first, firstBody) = await PostAsync(world, Job("character1 waves"), headerKey: "hdr-1");
        var (again, againBody) = await PostAsync(world, Job("character1 waves", idempotencyKey: "hdr-1"));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal("key-hdr-1", (string)firstBody["id"]!);
        Assert.False(Replayed(first));
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal("key-hdr-1", (string)againBody["id"]!);
        Assert.True(Replayed(again));
        Assert.Equal("Succeeded", (string)(await world.WaitForFinishAsync("key-hdr-1"))["status"]!);
        Assert.Equal(1, world.CountRequests("POST", p => p == SubmitPath));
    }

    [Fact]
    public async Task The_same_key_with_a_different_job_is_a_422_naming_the_key_and_the_first_job_goes_on()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);

        var (first, _) = await PostAsync(world, Job("character1 waves"), headerKey: "order-42");
        var (other, problem) = await PostAsync(world, Job("character1 dances"), headerKey: "order-42");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal((HttpStatusCode)422, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType!.MediaType);
        Assert.Contains("'order-42'", (string)problem["detail"]!);
        Assert.Null(other.Headers.Location);
        Assert.Equal("Succeeded", (string)(await world.WaitForFinishAsync("key-order-42"))["status"]!);
        var submit = Assert.Single(world.Simulator.Requests, r => r.Path == SubmitPath);
        Assert.Contains("character1 waves", submit.Body);
    }

    [Fact]
    public async Task Ten_concurrent_posts_with_one_key_and_one_job_start_one_job_and_submit_once()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            PostAsync(world, Job("character1 jumps"), headerKey: i % 2 == 0 ? "burst-1" : "\"burst-1\"")));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a.Response.StatusCode));
        Assert.All(answers, a => Assert.Equal("key-burst-1", (string)a.Body["id"]!));
        Assert.Single(answers, a => !Replayed(a.Response));
        Assert.Equal("Succeeded", (string)(await world.WaitForFinishAsync("key-burst-1"))["status"]!);
        Assert.Equal("key-burst-1", Assert.Single(await InstancesAsync(world)).InstanceId);
        Assert.Equal(1, world.CountRequests("POST", p => p == SubmitPath));
    }

    [Fact]
    public async Task Concurrent_posts_with_one_key_and_different_jobs_start_one_and_answer_422_to_the_others()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);

        var answers = await Task.WhenAll(Enumerable.Range(1, 5).Select(i =>
            PostAsync(world, Job($"character1 counts to {i}"), headerKey: "burst-2")));

        var accepted = Assert.Single(answers, a => a.Response.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(4, answers.Count(a => a.Response.StatusCode == (HttpStatusCode)422));
        Assert.Equal("Succeeded", (string)(await world.WaitForFinishAsync((string)accepted.Body["id"]!))["status"]!);
        Assert.Single(await InstancesAsync(world));
        Assert.Equal(1, world.CountRequests("POST", p => p == SubmitPath));
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_415_and_starts_nothing()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        const string json = """{"prompt":"character1 waves","references":[{"url":"https://example.com/a.mp4"}]}""";

        using var text = await world.Api.PostAsync("api/videos", new StringContent(json, Encoding.UTF8, "text/plain"));
        using var form = await world.Api.PostAsync("api/videos", new FormUrlEncodedContent([new("prompt", "character1 waves")]));
        using var untyped = await world.Api.PostAsync("api/videos", new ByteArrayContent(Encoding.UTF8.GetBytes(json)));
        using var typed = await world.Api.PostAsync("api/videos",
            new StringContent(json, Encoding.UTF8, "application/vnd.wanfunctions.job+json"));

        foreach (var refused in new[] { text, form, untyped })
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
        await using var world = await WorkflowHarness.StartAsync(azurite);
        // A broken job: no schedule, no job. The orchestrator throws (NullReferenceException) and the instance fails.
        var id = await world.Host.Client.ScheduleNewOrchestrationInstanceAsync(WorkflowNames.Orchestrator, new { jobId = "broken" });
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            var failed = await world.Host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, wait.Token);
            Assert.Equal(OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);
        }

        using var statusResponse = await world.Api.GetAsync($"api/videos/{id}");
        var statusText = await statusResponse.Content.ReadAsStringAsync();
        using var listResponse = await world.Api.GetAsync("api/videos");
        var listText = await listResponse.Content.ReadAsStringAsync();

        Assert.True(statusResponse.StatusCode == HttpStatusCode.OK, statusText);
        var status = JsonNode.Parse(statusText)!.AsObject();
        Assert.Equal("Failed", (string)status["status"]!);
        Assert.Equal("Failed", (string)status["runtimeStatus"]!);
        Assert.Equal("WorkflowFailed", (string)status["error"]!["code"]!);
        Assert.Equal("workflow", (string)status["error"]!["source"]!);
        Assert.Contains("Object reference not set", (string)status["error"]!["message"]!);
        Assert.DoesNotContain(" at ", statusText);
        Assert.True(listResponse.StatusCode == HttpStatusCode.OK, listText);
        var item = Assert.Single(JsonNode.Parse(listText)!["items"]!.AsArray(), i => (string)i!["id"]! == id)!;
        Assert.Equal("Failed", (string)item["status"]!);
    }

    [Fact]
    public async Task An_unhandled_exception_is_a_500_problem_without_a_stack_trace_even_in_Development()
    {
        var stateContainer = "it" + Guid.NewGuid().ToString("N")[..12] + "-state";
        await using var world = await WorkflowHarness.StartAsync(azurite,
            overrides: new Dictionary<string, string?> { ["Storage:StateContainer"] = stateContainer }, environment: "Development");
        // A damaged idempotency record: reading it throws inside the endpoint.
        var state = world.Blobs.GetBlobContainerClient(stateContainer);
        await state.CreateIfNotExistsAsync();
        await state.GetBlobClient("idempotency/damaged.json").UploadAsync(new BinaryData("{ not json"));

        var (response, _) = await PostAsync(world, Job("character1 waves"), headerKey: "damaged");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.DoesNotContain("Exception", text);
        Assert.DoesNotContain(" at ", text);
        Assert.DoesNotContain("not json", text);
        Assert.Equal(0, world.CountRequests("POST", p => p == SubmitPath));
    }
}
