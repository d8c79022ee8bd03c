using System.Text.Json.Nodes;
using DashScope.Simulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WanFunctions.Storage;

namespace WanFunctions.IntegrationTests;

/// <summary>
/// Submits whose answer is lost after the provider created the task: at most one provider task per job, always,
/// on the real engine (Azurite + simulator). The client's request timeout is short so a late answer misses it.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class AmbiguousSubmitTests(AzuriteFixture azurite)
{
    private const string SubmitPath = "/api/v1/services/aigc/video-generation/video-synthesis";

    private static Dictionary<string, string?> ShortTimeouts(int settleLooks = 3) => new()
    {
        ["DashScope:RequestTimeout"] = "00:00:02",
        ["DashScope:SubmitSettleLooks"] = settleLooks.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["DashScope:SubmitSettleInterval"] = "00:00:01",
    };

    private static IReadOnlyCollection<SimTask> CreatedTasks(WorkflowHarness world) =>
        world.Simulator.Services.GetRequiredService<TaskStore>().All;

    [Fact]
    public async Task A_late_submit_answer_is_settled_and_the_job_archives_with_exactly_one_provider_task()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite, overrides: ShortTimeouts());
        var (_, accepted) = await world.PostJobAsync(Job("character1 jumps [sim:accept-late=6000]"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!, TimeSpan.FromSeconds(90));

        Assert.Equal("Succeeded", (string)done["status"]!);
        var task = Assert.Single(CreatedTasks(world));
        Assert.Equal(task.Id, (string)done["result"]!["taskId"]!);
        Assert.Equal(1, world.CountRequests("POST", p => p == SubmitPath));
        Assert.True(world.CountRequests("GET", p => p == "/api/v1/tasks") >= 1, "the outcome was settled through the task list");
        Assert.NotNull(done["result"]!["video"]);
    }

    [Theory]
    [InlineData("[sim:accept500]")]
    [InlineData("[sim:accept-garbled]")]
    public async Task A_submit_answered_without_a_verdict_after_the_task_was_created_adopts_that_task(string marker)
    {
        await using var world = await WorkflowHarness.StartAsync(azurite, overrides: ShortTimeouts());
        var (_, accepted) = await world.PostJobAsync(Job($"character1 waves {marker}"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!, TimeSpan.FromSeconds(90));

        Assert.Equal("Succeeded", (string)done["status"]!);
        var task = Assert.Single(CreatedTasks(world));
        Assert.Equal(task.Id, (string)done["result"]!["taskId"]!);
        Assert.Equal(1, world.CountRequests("POST", p => p == SubmitPath));
    }

    [Fact]
    public async Task A_submit_whose_outcome_cannot_be_settled_ends_SubmitOutcomeUnknown_naming_the_model_and_the_window()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite, overrides: ShortTimeouts(settleLooks: 2));
        var (_, accepted) = await world.PostJobAsync(Job("character1 bows [sim:submit502=5]"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!, TimeSpan.FromSeconds(90));

        Assert.Equal("Failed", (string)done["status"]!);
        var error = done["error"]!.AsObject();
        Assert.Equal("SubmitOutcomeUnknown", (string)error["code"]!);
        Assert.Equal("workflow", (string)error["source"]!);
        var message = (string)error["message"]!;
        Assert.Contains("wan2.6-r2v-flash", message);
        Assert.Matches(@"between \d{4}-\d\d-\d\d \d\d:\d\d:\d\d and \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(.+ provider time, UTC\+08:00\)", message);
        Assert.Contains("BadGateway", message);
        // Never resubmitted: one POST, and the list was looked at once per settle look.
        Assert.Equal(1, world.CountRequests("POST", p => p == SubmitPath));
        Assert.Equal(2, world.CountRequests("GET", p => p == "/api/v1/tasks"));
        Assert.Empty(CreatedTasks(world));
    }

    [Fact]
    public async Task Throttled_submits_create_nothing_and_are_still_retried_until_one_task_is_created()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite, overrides: ShortTimeouts());
        var (_, accepted) = await world.PostJobAsync(Job("character1 sings [sim:submit429=2]"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!, TimeSpan.FromSeconds(90));

        Assert.Equal("Succeeded", (string)done["status"]!);
        Assert.Equal([429, 429, 200], world.Simulator.Requests.Where(r => r.Path == SubmitPath).Select(r => r.StatusCode ?? 0));
        Assert.Single(CreatedTasks(world));
        Assert.Equal(0, world.CountRequests("GET", p => p == "/api/v1/tasks"));
    }

    [Fact]
    public async Task A_settled_submit_leaves_both_records_and_no_open_intent()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite, overrides: ShortTimeouts());
        var (_, accepted) = await world.PostJobAsync(Job("character1 nods [sim:accept500]"));
        var jobId = (string)accepted["id"]!;

        var done = await world.WaitForFinishAsync(jobId, TimeSpan.FromSeconds(90));

        var taskId = (string)done["result"]!["taskId"]!;
        var ledger = world.Host.Services.GetRequiredService<ISubmissionLedger>();
        Assert.Equal(taskId, await ledger.FindTaskIdAsync(jobId, CancellationToken.None));
        Assert.Equal(jobId, await ledger.FindJobOfTaskAsync(taskId, CancellationToken.None));
        var promptSha = Hashing.Sha256Hex("character1 nods [sim:accept500]");
        Assert.Null(await ledger.FindIntentAsync(jobId, promptSha, CancellationToken.None));
    }

    private static object Job(string prompt) => new
    {
        prompt,
        references = new[] { new { url = "https://example.com/people/alice.mp4" } },
        duration = 5,
    };
}
