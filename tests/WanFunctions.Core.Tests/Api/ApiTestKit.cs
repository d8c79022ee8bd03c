using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using WanFunctions.Api;
using WanFunctions.DashScope;
using WanFunctions.Jobs;
using WanFunctions.Storage;
using WanFunctions.Workflow;

namespace WanFunctions.Core.Tests.Api;

/// <summary>A clock that stands still.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>Idempotency records in memory, with the blob store's create-if-absent and replace-if-unchanged semantics.</summary>
internal sealed class InMemoryIdempotencyRecords : IIdempotencyRecords
{
    private readonly Dictionary<string, StoredIdempotencyRecord> records = [];
    private int version;

    public DateTimeOffset Now { get; set; } = ApiTestKit.Now;

    public IReadOnlyDictionary<string, StoredIdempotencyRecord> Records => records;

    public Task<StoredIdempotencyRecord?> TryCreateAsync(string key, IdempotencyRecord record, CancellationToken cancellationToken)
    {
        lock (records)
        {
            if (records.TryGetValue(key, out var existing))
            {
                return Task.FromResult<StoredIdempotencyRecord?>(existing);
            }

            records[key] = Stored(record);
            return Task.FromResult<StoredIdempotencyRecord?>(null);
        }
    }

    public Task<bool> TryReplaceAsync(string key, StoredIdempotencyRecord stale, IdempotencyRecord record, CancellationToken cancellationToken)
    {
        lock (records)
        {
            if (!records.TryGetValue(key, out var current) || current.ETag != stale.ETag)
            {
                return Task.FromResult(false);
            }

            records[key] = Stored(record);
            return Task.FromResult(true);
        }
    }

    public Task ReleaseAsync(string key, IdempotencyRecord record, CancellationToken cancellationToken)
    {
        lock (records)
        {
            if (records.TryGetValue(key, out var current) && current.Record == record)
            {
                records.Remove(key);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Puts a record in place as if another request had claimed the key <paramref name="age"/> ago.</summary>
    public void Claim(string key, IdempotencyRecord record, TimeSpan age)
    {
        lock (records)
        {
            records[key] = Stored(record) with { LastModified = Now - age };
        }
    }

    private StoredIdempotencyRecord Stored(IdempotencyRecord record) => new(record, new Azure.ETag($"\"{++version}\""), Now);
}

/// <summary>The answer an <see cref="IResult"/> wrote to a <see cref="DefaultHttpContext"/>.</summary>
internal sealed record ExecutedResult(int Status, string? ContentType, IHeaderDictionary Headers, string Text)
{
    public JsonElement Json => JsonDocument.Parse(Text).RootElement;

    public string? Header(string name) => Headers.TryGetValue(name, out var values) ? values.ToString() : null;
}

/// <summary>Builders for endpoint tests: a starter, a mocked durable client, HTTP contexts, and running results.</summary>
internal static class ApiTestKit
{
    public const string Host = "api.example.com";
    public const string BaseUri = "https://" + Host + "/api/videos";

    public static readonly DateTimeOffset Now = new(2025, 3, 4, 10, 0, 0, TimeSpan.Zero);

    public const string ValidJob = """{"prompt": "character1 waves at the camera.", "references": [{"url": "https://example.com/actor1.mp4"}]}""";

    public static JobStarter Starter(WorkflowOptions? options = null, IIdempotencyRecords? records = null, TimeProvider? time = null) => new(
        new JobValidator(DashScopeRegion.International),
        records ?? new InMemoryIdempotencyRecords(),
        Options.Create(options ?? new WorkflowOptions()),
        time ?? new FixedTimeProvider(Now),
        NullLogger<JobStarter>.Instance);

    public static VideoJobEndpoints Endpoints(WorkflowOptions? options = null) => new(Starter(options));

    /// <summary>What the starter puts in the orchestration's input for <paramref name="json"/>, as the backend stores it.</summary>
    public static string StoredInput(string jobId, string json)
    {
        var request = JsonSerializer.Deserialize<VideoJobRequest>(json, JobJson.Options);
        var job = new JobValidator(DashScopeRegion.International).Validate(request).Job!;
        return JsonSerializer.Serialize(new VideoJobInput(jobId, job, Now.UtcDateTime, new WorkflowOptions().ToSchedule()));
    }

    /// <summary>A durable client that knows no instance and schedules anything.</summary>
    public static Mock<DurableTaskClient> Client()
    {
        var client = new Mock<DurableTaskClient>(MockBehavior.Loose, "test") { CallBase = true };
        client.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((OrchestrationMetadata?)null);
        client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
                It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((TaskName _, object? _, StartOrchestrationOptions? options, CancellationToken _) => options?.InstanceId ?? "generated");
        client.Setup(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .Returns(Task.CompletedTask);
        return client;
    }

    /// <summary>Makes the client know <paramref name="instance"/> under its id.</summary>
    public static Mock<DurableTaskClient> Knowing(this Mock<DurableTaskClient> client, OrchestrationMetadata instance)
    {
        client.Setup(c => c.GetInstanceAsync(instance.InstanceId, It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(instance);
        return client;
    }

    public static OrchestrationMetadata Instance(string id, OrchestrationRuntimeStatus status, object? customStatus = null, object? output = null,
        string? serializedInput = null) =>
        new(WorkflowNames.Orchestrator, id)
        {
            RuntimeStatus = status,
            SerializedInput = serializedInput,
            CreatedAt = Now,
            LastUpdatedAt = Now.AddMinutes(1),
            // What the durable backend stores: plain System.Text.Json.
            SerializedCustomStatus = customStatus is null ? null : JsonSerializer.Serialize(customStatus),
            SerializedOutput = output is null ? null : JsonSerializer.Serialize(output),
        };

    public static DefaultHttpContext HttpContext(string? body = null, string pathBase = "")
    {
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider(),
        };
        context.Request.Scheme = "https";
        context.Request.Host = new HostString(Host);
        context.Request.PathBase = pathBase;
        context.Request.Method = body is null ? HttpMethods.Get : HttpMethods.Post;
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body ?? ""));
        context.Response.Body = new MemoryStream();
        return context;
    }

    public static async Task<ExecutedResult> RunAsync(this IResult result, HttpContext context)
    {
        await result.ExecuteAsync(context);
        context.Response.Body.Position = 0;
        var text = await new StreamReader(context.Response.Body).ReadToEndAsync();
        return new ExecutedResult(context.Response.StatusCode, context.Response.ContentType, context.Response.Headers, text);
    }

    public static string[] Strings(this JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();
}
