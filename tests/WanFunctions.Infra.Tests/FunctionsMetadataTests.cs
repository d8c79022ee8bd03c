using System.Reflection;
using System.Text.Json.Nodes;
using WanFunctions.Workflow;

namespace WanFunctions.Infra.Tests;

/// <summary>
/// The Functions host indexes the app from the functions.metadata the worker SDK generates at build time.
/// Core Tools cannot run here, so these tests read that file: every function the workflow needs is there,
/// with the trigger, route and names the orchestrator, the HTTP API and the Event Grid subscription expect.
/// </summary>
public sealed class FunctionsMetadataTests
{
    internal static readonly Lazy<JsonArray> Metadata = new(() =>
    {
        var configuration = typeof(FunctionsMetadataTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "Configuration").Value!;
        var path = Path.Combine(Repo.Root, "src", "WanFunctions.App", "bin", configuration, "net10.0", "functions.metadata");
        return JsonNode.Parse(File.ReadAllText(path))!.AsArray();
    });

    private static JsonObject Function(string name) =>
        Metadata.Value.Select(f => f!.AsObject()).SingleOrDefault(f => (string?)f["name"] == name)
        ?? throw new Xunit.Sdk.XunitException($"Function '{name}' is not in functions.metadata.");

    private static JsonObject Trigger(JsonObject function) =>
        function["bindings"]!.AsArray().Select(b => b!.AsObject()).Single(b => ((string)b["type"]!).EndsWith("Trigger", StringComparison.Ordinal));

    [Theory]
    [InlineData("StartVideoJob", "post", "videos")]
    [InlineData("ListVideoJobs", "get", "videos")]
    [InlineData("GetVideoJob", "get", "videos/{id}")]
    [InlineData("CancelVideoJob", "post", "videos/{id}/cancel")]
    public void The_http_api_has_its_routes_behind_a_function_key(string name, string method, string route)
    {
        var trigger = Trigger(Function(name));
        Assert.Equal("httpTrigger", (string)trigger["type"]!);
        Assert.Equal(route, (string)trigger["route"]!);
        Assert.Equal([method], trigger["methods"]!.AsArray().Select(m => ((string)m!).ToLowerInvariant()));
        Assert.Equal("Function", (string)trigger["authLevel"]!, ignoreCase: true);
        Assert.Contains(Function(name)["bindings"]!.AsArray(), b => (string)b!["type"]! == "durableClient");
    }

    [Fact]
    public void The_orchestrator_and_every_activity_are_registered_under_the_shared_names()
    {
        Assert.Equal("orchestrationTrigger", (string)Trigger(Function(WorkflowNames.Orchestrator))["type"]!);
        foreach (var activity in new[]
                 {
                     WorkflowNames.SubmitVideoTask, WorkflowNames.CheckVideoTask, WorkflowNames.CancelVideoTask,
                     WorkflowNames.ArchiveVideo, WorkflowNames.NotifyCallback,
                 })
        {
            Assert.Equal("activityTrigger", (string)Trigger(Function(activity))["type"]!);
        }
    }

    [Fact]
    public void Old_job_history_is_purged_by_an_hourly_timer_in_bounded_batches()
    {
        var trigger = Trigger(Function("PurgeJobHistory"));
        Assert.Equal("timerTrigger", (string)trigger["type"]!);
        Assert.Equal("0 30 * * * *", (string)trigger["schedule"]!);
    }

    [Fact]
    public void The_blob_starter_uses_the_event_grid_source_that_flex_consumption_requires()
    {
        var trigger = Trigger(Function("StartJobFromBlob"));
        Assert.Equal("blobTrigger", (string)trigger["type"]!);
        Assert.Equal("references/{name}", (string)trigger["path"]!);
        Assert.Equal("EventGrid", (string)trigger["source"]!);

        // The Event Grid subscription's webhook names the same function and filters on the same container.
        var eventGrid = File.ReadAllText(Repo.InfraFile("app", "eventgrid.bicep"));
        Assert.Contains("StartJobFromBlob", eventGrid);
        Assert.Contains("references", eventGrid);
    }
}
