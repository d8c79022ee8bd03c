using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using WanFunctions.Api;
using WanFunctions.DashScope;
using WanFunctions.Jobs;
using WanFunctions.Storage;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Api.ApiTestKit;

namespace WanFunctions.Core.Tests.Api;

/// <summary>POST /api/videos with an idempotency key: the Idempotency-Key header, fingerprints, 422 and 409.</summary>
public sealed class IdempotencyKeyTests
{
    private const string Job = """{"prompt": "character1 talks.", "references": [{"url": "https://example.com/actor1.mp4"}]}""";
    private const string OtherJob = """{"prompt": "character1 sings.", "references": [{"url": "https://example.com/actor1.mp4"}]}""";

    private static string WithKey(string job, string key) => job[..^1] + $", \"idempotencyKey\": \"{key}\"}}";

    private static string FingerprintOf(string json)
    {
        var request = JsonSerializer.Deserialize<VideoJobRequest>(json, JobJson.Options);
        return JobStarter.Fingerprint(new JobValidator(DashScopeRegion.International).Validate(request).Job!);
    }

    private static VideoJobEndpoints Endpoints(InMemoryIdempotencyRecords records, TimeSpan? startWait = null) => new(
        new JobStarter(new JobValidator(DashScopeRegion.International), records, Options.Create(new WorkflowOptions()),
            new FixedTimeProvider(Now), NullLogger<JobStarter>.Instance)
        {
            StartWait = startWait ?? TimeSpan.FromSeconds(10),
        });

    private static async Task<ExecutedResult> PostAsync(Mock<DurableTaskClient> client, string body, string? header = null,
        InMemoryIdempotencyRecords? records = null, TimeSpan? startWait = null)
    {
        var http = HttpContext(body);
        if (header is not null)
        {
            http.Request.Headers[VideoJobEndpoints.IdempotencyKeyHeader] = header;
        }

        return await (await Endpoints(records ?? new InMemoryIdempotencyRecords(), startWait).StartAsync(http.Request, client.Object, default)).RunAsync(http);
    }

    private static void AssertScheduled(Mock<DurableTaskClient> client, Times times) =>
        client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(
            It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), times);

    [Theory]
    [InlineData("order-7")]
    [InlineData("\"order-7\"")] // a structured-field string, as the IETF draft writes it
    public async Task The_header_names_the_instance_like_the_body_field(string header)
    {
        var client = Client();

        var answer = await PostAsync(client, Job, header);

        Assert.Equal(202, answer.Status);
        Assert.Equal("key-order-7", answer.Json.GetProperty("id").GetString());
        Assert.Null(answer.Header("Idempotent-Replayed"));
        client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(new TaskName(WorkflowNames.Orchestrator),
            It.Is<object?>(i => ((VideoJobInput)i!).JobId == "key-order-7"),
            It.Is<StartOrchestrationOptions?>(o => o!.InstanceId == "key-order-7"), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task The_same_key_in_the_header_and_the_body_is_one_key()
    {
        var client = Client();

        var answer = await PostAsync(client, WithKey(Job, "order-7"), "order-7");

        Assert.Equal(202, answer.Status);
        Assert.Equal("key-order-7", answer.Json.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Different_keys_in_the_header_and_the_body_are_a_400_naming_both()
    {
        var client = Client();

        var answer = await PostAsync(client, WithKey(Job, "order-8"), "order-7");

        Assert.Equal(400, answer.Status);
        Assert.StartsWith("application/problem+json", answer.ContentType);
        var errors = answer.Json.GetProperty("errors");
        Assert.True(errors.TryGetProperty("Idempotency-Key", out _));
        Assert.True(errors.TryGetProperty("idempotencyKey", out _));
        AssertScheduled(client, Times.Never());
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("\"\"")]
    [InlineData("order 7")]
    public async Task A_header_value_that_breaks_the_key_rule_is_a_400(string header)
    {
        var client = Client();

        var answer = await PostAsync(client, Job, header);

        Assert.Equal(400, answer.Status);
        Assert.Contains("1-100 characters", answer.Json.GetProperty("errors").GetProperty("Idempotency-Key")[0].GetString());
        AssertScheduled(client, Times.Never());
    }

    [Fact]
    public async Task A_header_of_101_characters_is_a_400_and_two_headers_are_too()
    {
        var client = Client();
        var http = HttpContext(Job);
        http.Request.Headers[VideoJobEndpoints.IdempotencyKeyHeader] = new Microsoft.Extensions.Primitives.StringValues(["a", "b"]);

        var tooLong = await PostAsync(client, Job, new string('k', 101));
        var twice = await (await Endpoints(new InMemoryIdempotencyRecords()).StartAsync(http.Request, client.Object, default)).RunAsync(http);

        Assert.Equal(400, tooLong.Status);
        Assert.Equal(400, twice.Status);
        Assert.True(twice.Json.GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
        AssertScheduled(client, Times.Never());
    }

    [Fact]
    public async Task The_same_key_with_a_different_job_is_a_422_naming_the_key_and_never_the_old_job()
    {
        var client = Client().Knowing(Instance("key-order-9", OrchestrationRuntimeStatus.Running,
            serializedInput: StoredInput("key-order-9", Job)));

        var answer = await PostAsync(client, OtherJob, "order-9");

        Assert.Equal(422, answer.Status);
        Assert.StartsWith("application/problem+json", answer.ContentType);
        Assert.Contains("'order-9'", answer.Json.GetProperty("detail").GetString());
        Assert.Equal("order-9", answer.Json.GetProperty("idempotencyKey").GetString());
        Assert.False(answer.Json.TryGetProperty("id", out _));
        Assert.Null(answer.Header("Location"));
        AssertScheduled(client, Times.Never());
    }

    [Fact]
    public async Task The_same_job_written_differently_is_the_same_job()
    {
        // Other field order, other spacing, the defaults spelled out, the key in the header instead of the body.
        var sameJob = $$"""
            {
              "references" : [ { "url" : "https://example.com/actor1.mp4" } ],
              "duration": {{ModelCatalog.DefaultDuration}}, "size": "{{ModelCatalog.DefaultSize}}",
              "prompt": "character1 talks."
            }
            """;
        var client = Client().Knowing(Instance("key-order-10", OrchestrationRuntimeStatus.Completed,
            serializedInput: StoredInput("key-order-10", WithKey(Job, "order-10"))));

        var answer = await PostAsync(client, sameJob, "order-10");

        Assert.Equal(202, answer.Status);
        Assert.Equal("true", answer.Header("Idempotent-Replayed"));
        Assert.Equal("key-order-10", answer.Json.GetProperty("id").GetString());
        AssertScheduled(client, Times.Never());
    }

    [Fact]
    public async Task A_job_whose_stored_input_cannot_be_read_is_not_taken_for_the_same_job()
    {
        var client = Client().Knowing(Instance("key-order-11", OrchestrationRuntimeStatus.Running,
            serializedInput: "{\"jobId\": \"key-order-11\", \"job\": "));

        var answer = await PostAsync(client, Job, "order-11");

        Assert.Equal(422, answer.Status);
        AssertScheduled(client, Times.Never());
    }

    [Fact]
    public async Task A_started_job_records_its_key_and_fingerprint()
    {
        var records = new InMemoryIdempotencyRecords();

        var answer = await PostAsync(Client(), Job, "order-12", records);

        Assert.Equal(202, answer.Status);
        var record = records.Records["order-12"].Record;
        Assert.Equal("key-order-12", record.JobId);
        Assert.Equal(FingerprintOf(Job), record.Fingerprint);
        Assert.Equal(Now, record.AcceptedAt);
    }

    [Fact]
    public async Task A_key_claimed_for_a_different_job_that_has_not_started_yet_is_a_422()
    {
        var records = new InMemoryIdempotencyRecords();
        records.Claim("order-13", new IdempotencyRecord("key-order-13", FingerprintOf(Job), Now), TimeSpan.Zero);
        var client = Client();

        var answer = await PostAsync(client, OtherJob, "order-13", records);

        Assert.Equal(422, answer.Status);
        AssertScheduled(client, Times.Never());
    }

    [Fact]
    public async Task A_request_racing_the_one_that_claimed_the_key_answers_with_the_job_once_it_exists()
    {
        var records = new InMemoryIdempotencyRecords();
        records.Claim("order-14", new IdempotencyRecord("key-order-14", FingerprintOf(Job), Now), TimeSpan.Zero);
        var client = Client();
        client.SetupSequence(c => c.GetInstanceAsync("key-order-14", It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((OrchestrationMetadata?)null)
            .ReturnsAsync((OrchestrationMetadata?)null)
            .ReturnsAsync(Instance("key-order-14", OrchestrationRuntimeStatus.Pending));

        var answer = await PostAsync(client, Job, "order-14", records);

        Assert.Equal(202, answer.Status);
        Assert.Equal("true", answer.Header("Idempotent-Replayed"));
        Assert.Equal("key-order-14", answer.Json.GetProperty("id").GetString());
        AssertScheduled(client, Times.Never());
    }

    [Fact]
    public async Task A_key_still_being_started_by_another_request_is_a_409_with_retry_after()
    {
        var records = new InMemoryIdempotencyRecords();
        records.Claim("order-15", new IdempotencyRecord("key-order-15", FingerprintOf(Job), Now), TimeSpan.FromSeconds(5));
        var client = Client();

        var answer = await PostAsync(client, Job, "order-15", records, startWait: TimeSpan.Zero);

        Assert.Equal(409, answer.Status);
        Assert.StartsWith("application/problem+json", answer.ContentType);
        Assert.Equal("1", answer.Header("Retry-After"));
        Assert.Equal("order-15", answer.Json.GetProperty("idempotencyKey").GetString());
        AssertScheduled(client, Times.Never());
    }

    [Fact]
    public async Task A_key_claimed_by_a_request_that_died_before_starting_the_job_is_taken_over_and_started_once()
    {
        var records = new InMemoryIdempotencyRecords();
        records.Claim("order-16", new IdempotencyRecord("key-order-16", FingerprintOf(Job), Now.AddMinutes(-3)), TimeSpan.FromMinutes(3));
        var client = Client();

        var answer = await PostAsync(client, Job, "order-16", records, startWait: TimeSpan.Zero);

        Assert.Equal(202, answer.Status);
        Assert.Equal("key-order-16", answer.Json.GetProperty("id").GetString());
        AssertScheduled(client, Times.Once());
        Assert.Equal(Now, records.Records["order-16"].Record.AcceptedAt);
    }

    [Fact]
    public async Task A_failed_start_gives_the_key_back_so_a_retry_can_start_the_job()
    {
        var records = new InMemoryIdempotencyRecords();
        var client = Client();
        client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
                It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("backend down"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => PostAsync(client, Job, "order-17", records));

        Assert.Empty(records.Records);
    }

    [Fact]
    public async Task Starting_never_replaces_an_existing_instance()
    {
        var client = Client();
        StartOrchestrationOptions? options = null;
        client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
                It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .Callback((TaskName _, object? _, StartOrchestrationOptions? o, CancellationToken _) => options = o)
            .ReturnsAsync("key-order-18");

        await PostAsync(client, Job, "order-18");

        Assert.Contains(OrchestrationRuntimeStatus.Running.ToString(), options!.DedupeStatuses!);
        Assert.Contains(OrchestrationRuntimeStatus.Completed.ToString(), options.DedupeStatuses!);
    }

    [Fact]
    public void The_fingerprint_is_the_validated_job_not_its_spelling_nor_its_key()
    {
        Assert.Equal(FingerprintOf(Job), FingerprintOf(WithKey(Job, "any")));
        Assert.Equal(FingerprintOf(Job), FingerprintOf(Job.Replace(" ", "\n  ", StringComparison.Ordinal).Replace("character1\n  talks.", "character1 talks.", StringComparison.Ordinal)));
        Assert.NotEqual(FingerprintOf(Job), FingerprintOf(OtherJob));
        Assert.NotEqual(FingerprintOf(Job), FingerprintOf(Job[..^1] + ", \"seed\": 7}"));
        Assert.Matches("^[0-9a-f]{64}$", FingerprintOf(Job));
    }
}
