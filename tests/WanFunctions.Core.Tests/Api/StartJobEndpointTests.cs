using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Moq;
using WanFunctions.Api;
using WanFunctions.DashScope;
using WanFunctions.Jobs;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Api.ApiTestKit;

namespace WanFunctions.Core.Tests.Api;

/// <summary>POST /api/videos.</summary>
public class StartJobEndpointTests
{
    private static decimal ExpectedUpperBound(string json)
    {
        var request = JsonSerializer.Deserialize<VideoJobRequest>(json, JobJson.Options);
        return new JobValidator(DashScopeRegion.International).Validate(request).Job!.BilledSecondsUpperBound;
    }

    private static void AssertNothingScheduled(Mock<DurableTaskClient> client) =>
        client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(
            It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Never);

    [Fact]
    public async Task Valid_job_is_accepted_with_where_to_look()
    {
        var client = Client();
        var http = HttpContext(ValidJob);

        var answer = await (await Endpoints().StartAsync(http.Request, client.Object, default)).RunAsync(http);

        Assert.Equal(202, answer.Status);
        Assert.StartsWith("application/json", answer.ContentType);
        var body = answer.Json;
        var id = body.GetProperty("id").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal($"{BaseUri}/{id}", answer.Header("Location"));
        Assert.Equal($"{BaseUri}/{id}", body.GetProperty("statusUri").GetString());
        Assert.Equal($"{BaseUri}/{id}/cancel", body.GetProperty("cancelUri").GetString());
        Assert.Equal(ExpectedUpperBound(ValidJob), body.GetProperty("billedSecondsUpperBound").GetDecimal());
        Assert.Equal(JsonValueKind.Array, body.GetProperty("warnings").ValueKind);
        Assert.Null(answer.Header("Idempotent-Replayed"));
    }

    [Fact]
    public async Task Valid_job_schedules_the_orchestrator_once_with_the_schedule_from_the_options()
    {
        var options = new WorkflowOptions
        {
            FirstPollDelay = TimeSpan.FromSeconds(30),
            PollInterval = TimeSpan.FromSeconds(10),
            PollBackoffFactor = 2,
            MaxPollInterval = TimeSpan.FromSeconds(90),
            PollDeadline = TimeSpan.FromMinutes(45),
            PollsPerGeneration = 7,
            SubmitAttempts = 3,
            RetryInterval = TimeSpan.FromSeconds(2),
        };
        var client = Client();
        object? scheduled = null;
        StartOrchestrationOptions? startOptions = null;
        client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
                It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .Callback((TaskName _, object? input, StartOrchestrationOptions? o, CancellationToken _) => (scheduled, startOptions) = (input, o))
            .ReturnsAsync("ignored");
        var http = HttpContext(ValidJob);

        var answer = await (await Endpoints(options).StartAsync(http.Request, client.Object, default)).RunAsync(http);

        client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(
            new TaskName(WorkflowNames.Orchestrator), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Once);
        var id = answer.Json.GetProperty("id").GetString()!;
        Assert.Equal(id, startOptions!.InstanceId);
        var input = Assert.IsType<VideoJobInput>(scheduled);
        Assert.Equal(id, input.JobId);
        Assert.Equal(Now.UtcDateTime, input.AcceptedAt);
        Assert.Equal(DateTimeKind.Utc, input.AcceptedAt.Kind);
        Assert.Equal(new PollingSchedule(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), 2, TimeSpan.FromSeconds(90),
            TimeSpan.FromMinutes(45), 7, 3, TimeSpan.FromSeconds(2), Learned: true), input.Schedule);
        Assert.Null(input.Poll);
        Assert.Equal("character1 waves at the camera.", input.Job.Prompt);
        Assert.Equal("https://example.com/actor1.mp4", Assert.Single(input.Job.References).Url);
    }

    [Fact]
    public async Task Each_job_without_a_key_gets_a_new_id()
    {
        var client = Client();
        var first = HttpContext(ValidJob);
        var second = HttpContext(ValidJob);
        var endpoints = Endpoints();

        var one = await (await endpoints.StartAsync(first.Request, client.Object, default)).RunAsync(first);
        var two = await (await endpoints.StartAsync(second.Request, client.Object, default)).RunAsync(second);

        Assert.NotEqual(one.Json.GetProperty("id").GetString(), two.Json.GetProperty("id").GetString());
        client.Verify(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Uris_include_the_path_base()
    {
        var http = HttpContext(ValidJob, pathBase: "/wan");

        var answer = await (await Endpoints().StartAsync(http.Request, Client().Object, default)).RunAsync(http);

        var id = answer.Json.GetProperty("id").GetString()!;
        Assert.Equal($"https://{Host}/wan/api/videos/{id}", answer.Header("Location"));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("[1, 2]")]
    [InlineData("""{"prompt": "x", "duration": "5", "references": []}""")]
    public async Task Unreadable_body_is_a_400_problem_and_starts_nothing(string body)
    {
        var client = Client();
        var http = HttpContext(body);

        var answer = await (await Endpoints().StartAsync(http.Request, client.Object, default)).RunAsync(http);

        Assert.Equal(400, answer.Status);
        Assert.StartsWith("application/problem+json", answer.ContentType);
        var errors = answer.Json.GetProperty("errors");
        Assert.NotEmpty(errors.EnumerateObject());
        Assert.Equal("The job request is invalid.", answer.Json.GetProperty("title").GetString());
        Assert.Null(answer.Header("Location"));
        AssertNothingScheduled(client);
    }

    [Fact]
    public async Task Invalid_job_lists_every_field_error_and_starts_nothing()
    {
        var client = Client();
        var http = HttpContext("""{"model": "wan9-nope", "prompt": "character1 talks.", "references": [{"url": "https://example.com/actor1.mp4"}], "seed": -1}""");

        var answer = await (await Endpoints().StartAsync(http.Request, client.Object, default)).RunAsync(http);

        Assert.Equal(400, answer.Status);
        Assert.StartsWith("application/problem+json", answer.ContentType);
        var errors = answer.Json.GetProperty("errors");
        Assert.NotEmpty(errors.GetProperty("model").Strings());
        Assert.NotEmpty(errors.GetProperty("seed").Strings());
        AssertNothingScheduled(client);
        client.Verify(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Invalid_idempotency_key_is_rejected()
    {
        var client = Client();
        var http = HttpContext("""{"prompt": "character1 talks.", "references": [{"url": "https://example.com/actor1.mp4"}], "idempotencyKey": "a/b"}""");

        var answer = await (await Endpoints().StartAsync(http.Request, client.Object, default)).RunAsync(http);

        Assert.Equal(400, answer.Status);
        Assert.True(answer.Json.GetProperty("errors").TryGetProperty("idempotencyKey", out _));
        AssertNothingScheduled(client);
    }

    [Fact]
    public async Task Idempotency_key_names_the_instance()
    {
        var client = Client();
        var http = HttpContext("""{"prompt": "character1 talks.", "references": [{"url": "https://example.com/actor1.mp4"}], "idempotencyKey": "order-42"}""");

        var answer = await (await Endpoints().StartAsync(http.Request, client.Object, default)).RunAsync(http);

        Assert.Equal(202, answer.Status);
        Assert.Equal("key-order-42", answer.Json.GetProperty("id").GetString());
        Assert.Equal($"{BaseUri}/key-order-42", answer.Header("Location"));
        client.Verify(c => c.GetInstanceAsync("key-order-42", It.IsAny<bool>(), It.IsAny<CancellationToken>()), Times.Once);
        client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(
            new TaskName(WorkflowNames.Orchestrator),
            It.Is<object?>(i => ((VideoJobInput)i!).JobId == "key-order-42"),
            It.Is<StartOrchestrationOptions?>(o => o!.InstanceId == "key-order-42"),
            It.IsAny<CancellationToken>()), Times.Once);
        Assert.Null(answer.Header("Idempotent-Replayed"));
    }

    [Fact]
    public async Task Repeated_idempotency_key_finds_the_existing_job_and_does_not_start_it_again()
    {
        const string job = """{"prompt": "character1 talks.", "references": [{"url": "https://example.com/actor1.mp4"}], "idempotencyKey": "order-42"}""";
        var client = Client().Knowing(Instance("key-order-42", OrchestrationRuntimeStatus.Running,
            serializedInput: StoredInput("key-order-42", job)));
        var http = HttpContext(job);

        var answer = await (await Endpoints().StartAsync(http.Request, client.Object, default)).RunAsync(http);

        Assert.Equal(202, answer.Status);
        Assert.Equal("true", answer.Header("Idempotent-Replayed"));
        Assert.Equal("key-order-42", answer.Json.GetProperty("id").GetString());
        Assert.Equal($"{BaseUri}/key-order-42", answer.Header("Location"));
        AssertNothingScheduled(client);
    }

    [Fact]
    public async Task Two_requests_racing_with_one_key_both_answer_with_the_job_the_winner_started()
    {
        const string job = """{"prompt": "character1 talks.", "references": [{"url": "https://example.com/actor1.mp4"}], "idempotencyKey": "race"}""";
        var client = Client();
        client.SetupSequence(c => c.GetInstanceAsync("key-race", It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((OrchestrationMetadata?)null)
            .ReturnsAsync(Instance("key-race", OrchestrationRuntimeStatus.Running, serializedInput: StoredInput("key-race", job)));
        client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
                It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("An orchestration with id 'key-race' already exists."));
        var http = HttpContext(job);

        var answer = await (await Endpoints().StartAsync(http.Request, client.Object, default)).RunAsync(http);

        Assert.Equal(202, answer.Status);
        Assert.Equal("true", answer.Header("Idempotent-Replayed"));
        Assert.Equal("key-race", answer.Json.GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_scheduling_failure_that_is_not_a_race_is_not_hidden()
    {
        var client = Client();
        client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
                It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("backend down"));
        var http = HttpContext("""{"prompt": "character1 talks.", "references": [{"url": "https://example.com/actor1.mp4"}], "idempotencyKey": "down"}""");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Endpoints().StartAsync(http.Request, client.Object, default));

        Assert.Equal("backend down", error.Message);
    }

    [Fact]
    public async Task Starter_reports_validation_errors_without_touching_the_client()
    {
        var client = new Mock<DurableTaskClient>(MockBehavior.Strict, "strict");

        var outcome = await Starter().StartAsync(null, client.Object, default);

        Assert.False(outcome.Started);
        Assert.Null(outcome.JobId);
        Assert.Contains("body", outcome.Errors.Keys);
    }
}
