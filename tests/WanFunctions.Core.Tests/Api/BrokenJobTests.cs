using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Moq;
using WanFunctions.Api;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Api.ApiTestKit;

namespace WanFunctions.Core.Tests.Api;

/// <summary>GET /api/videos/{id} and GET /api/videos survive whatever the backend stored for a job.</summary>
public sealed class BrokenJobTests
{
    private const string Id = "job-1";

    private const string ValidTimings = """{"acceptedAt":"2025-03-04T10:00:00Z","submittedAt":null,"finishedAt":"2025-03-04T10:01:00Z","polls":0}""";

    /// <summary>Outputs that are not a JobResult: failure text, truncated JSON, other shapes, values out of range.</summary>
    public static TheoryData<string> UnreadableOutputs() =>
    [
        "Object reference not set to an instance of an object.",
        """{"outcome":"Succeeded","taskId":"t-1","timin""",
        """{"result":{"status":"done"}}""",
        """{"outcome":"Exploded","timings":""" + ValidTimings + "}",
        """{"outcome":42,"timings":""" + ValidTimings + "}",
        """{"outcome":"Succeeded"}""",
        """{"outcome":"Succeeded","timings":"yesterday"}""",
        """["Succeeded"]""",
        "\"Succeeded\"",
        "null",
        "",
    ];

    /// <summary>Custom statuses that are not a JobProgress.</summary>
    public static TheoryData<string> UnreadableCustomStatuses() =>
    [
        "polling, 3 so far",
        """{"phase":"Polling","polls":""",
        """{"stage":"Polling"}""",
        """{"phase":"Teleporting"}""",
        """{"phase":"Polling","polls":"three"}""",
        "42",
        "[]",
    ];

    private static OrchestrationMetadata Stored(OrchestrationRuntimeStatus status, string? output, string? customStatus = null,
        TaskFailureDetails? failure = null) => new(WorkflowNames.Orchestrator, Id)
        {
            RuntimeStatus = status,
            CreatedAt = Now,
            LastUpdatedAt = Now.AddMinutes(1),
            SerializedOutput = output,
            SerializedCustomStatus = customStatus,
            FailureDetails = failure,
        };

    private static async Task<ExecutedResult> GetAsync(OrchestrationMetadata instance)
    {
        var http = HttpContext();
        return await (await Endpoints().GetStatusAsync(http.Request, Client().Knowing(instance).Object, Id, default)).RunAsync(http);
    }

    private static async Task<ExecutedResult> ListAsync(params OrchestrationMetadata[] instances)
    {
        var client = Client();
        client.Setup(c => c.GetAllInstancesAsync(It.IsAny<OrchestrationQuery?>()))
            .Returns(Pageable.Create((string? _, int? _, CancellationToken _) => Task.FromResult(new Page<OrchestrationMetadata>(instances, null))));
        var http = HttpContext();
        return await (await Endpoints().ListAsync(http.Request, client.Object, default)).RunAsync(http);
    }

    [Theory]
    [MemberData(nameof(UnreadableOutputs))]
    public async Task A_failed_orchestration_reads_Failed_WorkflowFailed_whatever_its_output(string output)
    {
        var answer = await GetAsync(Stored(OrchestrationRuntimeStatus.Failed, output));

        Assert.Equal(200, answer.Status);
        var body = answer.Json;
        Assert.Equal("Failed", body.GetProperty("status").GetString());
        Assert.Equal("Failed", body.GetProperty("runtimeStatus").GetString());
        Assert.Equal("WorkflowFailed", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("workflow", body.GetProperty("error").GetProperty("source").GetString());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("error").GetProperty("message").GetString()));
        Assert.False(body.TryGetProperty("result", out _));
    }

    [Theory]
    [MemberData(nameof(UnreadableOutputs))]
    public async Task A_completed_orchestration_with_an_unreadable_result_reads_Failed_WorkflowFailed(string output)
    {
        var answer = await GetAsync(Stored(OrchestrationRuntimeStatus.Completed, output));

        Assert.Equal(200, answer.Status);
        Assert.Equal("Failed", answer.Json.GetProperty("status").GetString());
        Assert.Equal("Completed", answer.Json.GetProperty("runtimeStatus").GetString());
        Assert.Equal("WorkflowFailed", answer.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("cannot be read", answer.Json.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [MemberData(nameof(UnreadableOutputs))]
    public async Task The_list_shows_a_job_with_an_unreadable_output_as_Failed(string output)
    {
        var answer = await ListAsync(Stored(OrchestrationRuntimeStatus.Failed, output), Stored(OrchestrationRuntimeStatus.Completed, output));

        Assert.Equal(200, answer.Status);
        Assert.All(answer.Json.GetProperty("items").EnumerateArray(), item => Assert.Equal("Failed", item.GetProperty("status").GetString()));
    }

    [Theory]
    [MemberData(nameof(UnreadableCustomStatuses))]
    public async Task An_unreadable_custom_status_is_left_out(string customStatus)
    {
        var answer = await GetAsync(Stored(OrchestrationRuntimeStatus.Running, null, customStatus));

        Assert.Equal(200, answer.Status);
        Assert.Equal("Running", answer.Json.GetProperty("status").GetString());
        Assert.False(answer.Json.TryGetProperty("progress", out _));
        Assert.False(answer.Json.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task The_failure_text_a_backend_stored_as_output_is_the_message()
    {
        // The Azure Storage backend keeps no failure details: the failure text is the output, as plain text.
        var plain = await GetAsync(Stored(OrchestrationRuntimeStatus.Failed, "Object reference not set to an instance of an object."));
        var quoted = await GetAsync(Stored(OrchestrationRuntimeStatus.Failed, "\"The retry interval must be at most the max retry interval.\""));

        Assert.Equal("Object reference not set to an instance of an object.", plain.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("The retry interval must be at most the max retry interval.", quoted.Json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_failure_message_carries_no_stack_trace_and_no_signed_url()
    {
        const string message = "Download of https://acct.blob.core.windows.net/videos/a.mp4?sv=2025&sig=SECRETSIG failed\n" +
            "   at WanFunctions.Storage.VideoArchiver.ArchiveAsync(String jobId) in /src/VideoArchiver.cs:line 42\n" +
            "--- End of stack trace from previous location ---\n" +
            "   at WanFunctions.Workflow.VideoJobOrchestration.RunAsync()";
        var failure = new TaskFailureDetails("System.InvalidOperationException", message, "   at Some.Where()", null, null);

        var answer = await GetAsync(Stored(OrchestrationRuntimeStatus.Failed, message, failure: failure));

        var shown = answer.Json.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Equal("Download of https://acct.blob.core.windows.net/videos/a.mp4?… failed", shown);
        Assert.DoesNotContain("SECRETSIG", answer.Text);
        Assert.DoesNotContain("VideoArchiver.cs", answer.Text);
        Assert.DoesNotContain("Some.Where", answer.Text);
    }

    [Fact]
    public async Task A_long_failure_message_is_cut()
    {
        var failure = new TaskFailureDetails("System.Exception", new string('x', 5000), null, null, null);

        var answer = await GetAsync(Stored(OrchestrationRuntimeStatus.Failed, null, failure: failure));

        var shown = answer.Json.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Equal(ApiText.MaxMessageLength + 1, shown.Length);
        Assert.EndsWith("…", shown);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   at Only.A.Stack.Trace()")]
    public void A_failure_without_a_message_gets_the_fallback(string? text)
    {
        Assert.Equal("fallback", ApiText.SafeMessage(text, "fallback"));
    }

    [Fact]
    public async Task A_readable_result_and_progress_still_read_as_before()
    {
        var output = """{"outcome":"Canceled","taskId":"t-1","timings":""" + ValidTimings +
            ""","error":{"code":"Canceled","message":"Canceled at the provider.","source":"workflow"}}""";

        var answer = await GetAsync(Stored(OrchestrationRuntimeStatus.Completed, output, """{"phase":"Finished","polls":2}"""));

        Assert.Equal("Canceled", answer.Json.GetProperty("status").GetString());
        Assert.Equal("Canceled", answer.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("Finished", answer.Json.GetProperty("progress").GetProperty("phase").GetString());
    }
}
