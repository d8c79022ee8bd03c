using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Moq;
using WanFunctions.Api;
using WanFunctions.DashScope;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Api.ApiTestKit;

namespace WanFunctions.Core.Tests.Api;

/// <summary>GET /api/videos/{id} and POST /api/videos/{id}/cancel.</summary>
public class JobStatusEndpointTests
{
    private const string Id = "job-1";
    private static readonly DateTime SubmittedAt = Now.UtcDateTime.AddSeconds(5);
    private static readonly DateTime DeadlineAt = Now.UtcDateTime.AddMinutes(30);

    private static readonly JobProgress Polling = new(JobPhase.Polling, "task-1", DashScopeTaskState.Running, SubmittedAt, 2,
        SubmittedAt.AddSeconds(82.5), DeadlineAt);

    private static readonly ArchivedVideo Video = new("https://store.blob.core.windows.net/videos/2025/03/04/job-1.mp4",
        "videos", "2025/03/04/job-1.mp4", 123_456, false);

    private static JobResult Result(JobOutcome outcome, JobError? error = null) => new(outcome, "task-1",
        outcome == JobOutcome.Succeeded ? Video : null, new DashScopeUsage(Duration: 10),
        new JobTimings(Now.UtcDateTime, SubmittedAt, SubmittedAt.AddMinutes(2), 4), error);

    private static async Task<ExecutedResult> GetAsync(Mock<DurableTaskClient> client, string id = Id)
    {
        var http = HttpContext();
        return await (await Endpoints().GetStatusAsync(http.Request, client.Object, id, default)).RunAsync(http);
    }

    private static async Task<ExecutedResult> CancelAsync(Mock<DurableTaskClient> client, string id = Id)
    {
        var http = HttpContext();
        return await (await Endpoints().CancelAsync(http.Request, client.Object, id, default)).RunAsync(http);
    }

    private static void AssertNoEventRaised(Mock<DurableTaskClient> client) =>
        client.Verify(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()), Times.Never);

    [Fact]
    public async Task Unknown_job_is_404()
    {
        var answer = await GetAsync(Client(), "nope");

        Assert.Equal(404, answer.Status);
        Assert.StartsWith("application/problem+json", answer.ContentType);
        Assert.Contains("'nope'", answer.Json.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Running_job_shows_its_progress_from_the_custom_status()
    {
        var client = Client().Knowing(Instance(Id, OrchestrationRuntimeStatus.Running, customStatus: Polling));

        var answer = await GetAsync(client);

        Assert.Equal(200, answer.Status);
        var body = answer.Json;
        Assert.Equal(Id, body.GetProperty("id").GetString());
        Assert.Equal("Running", body.GetProperty("status").GetString());
        Assert.Equal("Running", body.GetProperty("runtimeStatus").GetString());
        var progress = body.GetProperty("progress");
        Assert.Equal("Polling", progress.GetProperty("phase").GetString());
        Assert.Equal("task-1", progress.GetProperty("taskId").GetString());
        Assert.Equal("Running", progress.GetProperty("providerState").GetString());
        Assert.Equal(2, progress.GetProperty("polls").GetInt32());
        Assert.Equal(Polling.NextPollAt, progress.GetProperty("nextPollAt").GetDateTime());
        Assert.Equal(DeadlineAt, progress.GetProperty("deadlineAt").GetDateTime());
        Assert.Equal($"{BaseUri}/{Id}/cancel", body.GetProperty("cancelUri").GetString());
        Assert.False(body.TryGetProperty("result", out _));
        Assert.False(body.TryGetProperty("error", out _));
        client.Verify(c => c.GetInstanceAsync(Id, true, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task Progress_written_with_numeric_enums_is_read_too()
    {
        // Either host's serializer may have written the status; numbers for enums must not break the read.
        var instance = Instance(Id, OrchestrationRuntimeStatus.Running);
        instance = new OrchestrationMetadata(instance.Name, instance.InstanceId)
        {
            RuntimeStatus = OrchestrationRuntimeStatus.Running,
            SerializedCustomStatus = """{"phase":1,"taskId":"task-1","providerState":1,"polls":3}""",
        };

        var answer = await GetAsync(Client().Knowing(instance));

        var progress = answer.Json.GetProperty("progress");
        Assert.Equal("Polling", progress.GetProperty("phase").GetString());
        Assert.Equal("Running", progress.GetProperty("providerState").GetString());
        Assert.Equal(3, progress.GetProperty("polls").GetInt32());
    }

    [Fact]
    public async Task Succeeded_job_shows_the_result_and_no_error()
    {
        var client = Client().Knowing(Instance(Id, OrchestrationRuntimeStatus.Completed,
            customStatus: Polling with { Phase = JobPhase.Finished }, output: Result(JobOutcome.Succeeded)));

        var answer = await GetAsync(client);

        var body = answer.Json;
        Assert.Equal("Succeeded", body.GetProperty("status").GetString());
        Assert.Equal("Completed", body.GetProperty("runtimeStatus").GetString());
        var result = body.GetProperty("result");
        Assert.Equal("Succeeded", result.GetProperty("outcome").GetString());
        Assert.Equal(Video.BlobUri, result.GetProperty("video").GetProperty("blobUri").GetString());
        Assert.Equal(123_456, result.GetProperty("video").GetProperty("bytes").GetInt64());
        Assert.Equal(4, result.GetProperty("timings").GetProperty("polls").GetInt32());
        Assert.False(body.TryGetProperty("error", out _));
        Assert.False(body.TryGetProperty("cancelUri", out _));
    }

    [Theory]
    [InlineData(JobOutcome.Failed, "TaskFailed")]
    [InlineData(JobOutcome.Canceled, "Canceled")]
    [InlineData(JobOutcome.TimedOut, "DeadlineExceeded")]
    public async Task Finished_job_status_is_its_outcome_and_shows_the_error(JobOutcome outcome, string code)
    {
        var error = new JobError(code, "what went wrong", JobErrorSource.Workflow);
        var client = Client().Knowing(Instance(Id, OrchestrationRuntimeStatus.Completed, output: Result(outcome, error)));

        var answer = await GetAsync(client);

        var body = answer.Json;
        Assert.Equal(outcome.ToString(), body.GetProperty("status").GetString());
        Assert.Equal(outcome.ToString(), body.GetProperty("result").GetProperty("outcome").GetString());
        Assert.Equal(code, body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("what went wrong", body.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("workflow", body.GetProperty("error").GetProperty("source").GetString());
    }

    [Fact]
    public async Task Crashed_orchestration_shows_a_workflow_error()
    {
        OrchestrationMetadata instance = new(WorkflowNames.Orchestrator, Id)
        {
            RuntimeStatus = OrchestrationRuntimeStatus.Failed,
            FailureDetails = new TaskFailureDetails("System.InvalidOperationException", "Non-deterministic workflow detected", null, null, null),
        };

        var answer = await GetAsync(Client().Knowing(instance));

        var body = answer.Json;
        Assert.Equal("Failed", body.GetProperty("status").GetString());
        Assert.Equal("WorkflowFailed", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("Non-deterministic workflow detected", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Pending, false, "Pending")]
    [InlineData(OrchestrationRuntimeStatus.Running, false, "Running")]
    [InlineData(OrchestrationRuntimeStatus.Suspended, false, "Running")]
#pragma warning disable CS0618 // obsolete, but a backend may report it between two generations
    [InlineData(OrchestrationRuntimeStatus.ContinuedAsNew, false, "Running")]
#pragma warning restore CS0618
    [InlineData(OrchestrationRuntimeStatus.Terminated, false, "Terminated")]
    [InlineData(OrchestrationRuntimeStatus.Failed, false, "Failed")]
    [InlineData(OrchestrationRuntimeStatus.Completed, false, "Failed")] // completed without a result
    [InlineData(OrchestrationRuntimeStatus.Completed, true, "TimedOut")]
    public void Job_status_refines_the_runtime_status(OrchestrationRuntimeStatus runtime, bool withResult, string expected)
    {
        var result = withResult ? Result(JobOutcome.TimedOut) : null;

        Assert.Equal(expected, VideoJobEndpoints.JobStatusOf(runtime, result));
    }

    [Fact]
    public async Task Cancel_of_an_unknown_job_is_404()
    {
        var client = Client();

        var answer = await CancelAsync(client, "nope");

        Assert.Equal(404, answer.Status);
        Assert.StartsWith("application/problem+json", answer.ContentType);
        AssertNoEventRaised(client);
    }

    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Completed)]
    [InlineData(OrchestrationRuntimeStatus.Failed)]
    [InlineData(OrchestrationRuntimeStatus.Terminated)]
    public async Task Cancel_of_a_finished_job_is_409(OrchestrationRuntimeStatus status)
    {
        var client = Client().Knowing(Instance(Id, status, output: Result(JobOutcome.Succeeded)));

        var answer = await CancelAsync(client);

        Assert.Equal(409, answer.Status);
        Assert.StartsWith("application/problem+json", answer.ContentType);
        Assert.Contains(status.ToString(), answer.Json.GetProperty("detail").GetString());
        AssertNoEventRaised(client);
    }

    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Running)]
    [InlineData(OrchestrationRuntimeStatus.Pending)]
    public async Task Cancel_of_a_running_job_raises_the_cancel_event_and_is_202(OrchestrationRuntimeStatus status)
    {
        var client = Client().Knowing(Instance(Id, status));

        var answer = await CancelAsync(client);

        Assert.Equal(202, answer.Status);
        Assert.Equal($"{BaseUri}/{Id}", answer.Header("Location"));
        Assert.Equal(Id, answer.Json.GetProperty("id").GetString());
        Assert.Equal($"{BaseUri}/{Id}", answer.Json.GetProperty("statusUri").GetString());
        Assert.Contains("PENDING", answer.Json.GetProperty("message").GetString());
        client.Verify(c => c.RaiseEventAsync(Id, WorkflowNames.CancelEvent, It.IsAny<CancelRequest>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task Cancel_of_a_suspended_job_is_accepted()
    {
        var client = Client().Knowing(Instance(Id, OrchestrationRuntimeStatus.Suspended));

        var answer = await CancelAsync(client);

        Assert.Equal(202, answer.Status);
        client.Verify(c => c.RaiseEventAsync(Id, WorkflowNames.CancelEvent, It.IsAny<CancelRequest>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task Ids_are_escaped_in_uris()
    {
        var client = Client().Knowing(Instance("a b", OrchestrationRuntimeStatus.Running));

        var answer = await CancelAsync(client, "a b");

        Assert.Equal($"{BaseUri}/a%20b", answer.Header("Location"));
    }
}
