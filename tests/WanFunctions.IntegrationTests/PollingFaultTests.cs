using System.Net;
using System.Text.Json.Nodes;

namespace WanFunctions.IntegrationTests;

/// <summary>What the provider does while a job polls, end to end on the real engine: unlisted states, revoked keys, cancel at a generation boundary.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class PollingFaultTests(AzuriteFixture azurite)
{
    // Whole seconds: Azure Storage timers may fire up to ~1 s early.
    private static readonly Dictionary<string, string?> EverySecond = new()
    {
        ["Workflow:FirstPollDelay"] = "00:00:01",
        ["Workflow:PollInterval"] = "00:00:01",
        ["Workflow:MaxPollInterval"] = "00:00:01",
    };

    private static bool IsQuery(string path) => path.StartsWith("/api/v1/tasks/", StringComparison.Ordinal) && !path.EndsWith("/cancel", StringComparison.Ordinal);

    [Fact]
    public async Task A_task_reporting_PRE_PROCESSING_is_polled_on_and_archived_and_the_status_shows_the_raw_state()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite, overrides: EverySecond);
        // RUNNING lasts 6 s, its first 3 s reported as PRE-PROCESSING: at least two looks see it.
        var (_, accepted) = await world.PostJobAsync(Job("character1 jumps [sim:state=PRE-PROCESSING] [sim:running=6]"));
        var id = (string)accepted["id"]!;

        var seen = await world.WaitForProgressAsync(id, p => (string?)p["providerRawState"] == "PRE-PROCESSING");

        Assert.Equal("Running", (string)seen["status"]!);
        Assert.Equal("Other", (string)seen["progress"]!["providerState"]!);
        var done = await world.WaitForFinishAsync(id);
        Assert.Equal("Succeeded", (string)done["status"]!);
        Assert.Equal("SUCCEEDED", (string)done["progress"]!["providerRawState"]!);
        Assert.NotNull(done["result"]!["video"]);
    }

    [Fact]
    public async Task A_key_revoked_mid_job_ends_it_at_once_failed_with_the_providers_code()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite, overrides: EverySecond);
        // The first query answers; every later one is 401 InvalidApiKey (the key was rotated). The deadline is 2 min.
        var (_, accepted) = await world.PostJobAsync(Job("character1 waits [sim:pending-forever] [sim:revoke-key=1]"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!, TimeSpan.FromSeconds(30));

        Assert.Equal("Failed", (string)done["status"]!);
        Assert.Equal("InvalidApiKey", (string)done["error"]!["code"]!);
        Assert.Equal("provider", (string)done["error"]!["source"]!);
        Assert.Equal("Invalid API-key provided.", (string)done["error"]!["message"]!);
        // Refused for good: the second query is not tried again.
        Assert.Equal([200, 401], world.Simulator.Requests.Where(r => r.Method == "GET" && IsQuery(r.Path)).Select(r => r.StatusCode ?? 0));
        Assert.DoesNotContain(world.Simulator.ApiKey, done.ToJsonString());
    }

    [Fact]
    public async Task A_cancel_that_arrives_while_the_last_query_of_a_generation_runs_still_cancels_the_job()
    {
        // One poll per generation, so every query ends in ContinueAsNew. Each query takes 3 s at the provider, and the
        // cancel is posted while one is in flight: it completes the generation's waiter before the ContinueAsNew.
        await using var world = await WorkflowHarness.StartAsync(azurite, overrides: new Dictionary<string, string?>(EverySecond)
        {
            ["Workflow:PollsPerGeneration"] = "1",
            ["Workflow:PollDeadline"] = "00:00:45",
        });
        var (_, accepted) = await world.PostJobAsync(Job("character1 waits [sim:pending-forever] [sim:slow=3000]"));
        var id = (string)accepted["id"]!;

        var until = DateTime.UtcNow.AddSeconds(30);
        while (!world.Simulator.Requests.Any(r => r.Method == "GET" && IsQuery(r.Path) && r.StatusCode is null))
        {
            Assert.True(DateTime.UtcNow < until, "no query was ever in flight");
            await Task.Delay(50);
        }

        using var cancel = await world.Api.PostAsync($"api/videos/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);

        var done = await world.WaitForFinishAsync(id);
        Assert.Equal("Canceled", (string)done["status"]!);
        Assert.Equal("Canceled", (string)done["error"]!["code"]!);
        var taskId = (string)done["result"]!["taskId"]!;
        Assert.Equal(1, world.CountRequests("POST", p => p == $"/api/v1/tasks/{taskId}/cancel"));
    }

    private static object Job(string prompt) => new
    {
        prompt,
        references = new[] { new { url = "https://example.com/people/alice.mp4" } },
        duration = 5,
    };
}
