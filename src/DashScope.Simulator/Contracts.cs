using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DashScope.Simulator;

// Wire contracts with explicit snake_case names, so renaming a C# property never changes the wire format.

public sealed record SubmitRequest(
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("input")] SubmitInput? Input,
    [property: JsonPropertyName("parameters")] SubmitParameters? Parameters);

public sealed record SubmitInput(
    [property: JsonPropertyName("prompt")] string? Prompt,
    [property: JsonPropertyName("negative_prompt")] string? NegativePrompt,
    [property: JsonPropertyName("reference_urls")] IReadOnlyList<string?>? ReferenceUrls);

public sealed record SubmitParameters(
    [property: JsonPropertyName("size")] string? Size,
    [property: JsonPropertyName("duration")] int? Duration,
    [property: JsonPropertyName("audio")] bool? Audio,
    [property: JsonPropertyName("shot_type")] string? ShotType,
    [property: JsonPropertyName("watermark")] bool? Watermark,
    // long so that out-of-range seeds get a clear validation message instead of a parse error.
    [property: JsonPropertyName("seed")] long? Seed);

public sealed record ErrorResponse(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("request_id")] string RequestId);

public sealed record SubmitResponse(
    [property: JsonPropertyName("output")] SubmitOutput Output,
    [property: JsonPropertyName("request_id")] string RequestId);

public sealed record SubmitOutput(
    [property: JsonPropertyName("task_status")] string TaskStatus,
    [property: JsonPropertyName("task_id")] string TaskId);

public sealed record TaskQueryResponse(
    [property: JsonPropertyName("request_id")] string RequestId,
    [property: JsonPropertyName("output")] TaskOutput Output,
    [property: JsonPropertyName("usage")] TaskUsage? Usage);

public sealed record TaskOutput(
    [property: JsonPropertyName("task_id")] string TaskId,
    [property: JsonPropertyName("task_status")] string TaskStatus,
    [property: JsonPropertyName("submit_time")] string? SubmitTime = null,
    [property: JsonPropertyName("scheduled_time")] string? ScheduledTime = null,
    [property: JsonPropertyName("end_time")] string? EndTime = null,
    [property: JsonPropertyName("video_url")] string? VideoUrl = null,
    [property: JsonPropertyName("orig_prompt")] string? OrigPrompt = null,
    [property: JsonPropertyName("code")] string? Code = null,
    [property: JsonPropertyName("message")] string? Message = null,
    [property: JsonPropertyName("task_metrics")] TaskMetrics? TaskMetrics = null);

public sealed record TaskMetrics(
    [property: JsonPropertyName("TOTAL")] int Total,
    [property: JsonPropertyName("SUCCEEDED")] int Succeeded,
    [property: JsonPropertyName("FAILED")] int Failed);

public sealed record TaskUsage(
    [property: JsonPropertyName("duration")] decimal Duration,
    [property: JsonPropertyName("input_video_duration")] decimal InputVideoDuration,
    [property: JsonPropertyName("output_video_duration")] int OutputVideoDuration,
    [property: JsonPropertyName("SR")] int SR,
    [property: JsonPropertyName("size")] string Size,
    [property: JsonPropertyName("video_count")] int VideoCount);

public sealed record CancelResponse(
    [property: JsonPropertyName("request_id")] string RequestId);

/// <summary>List answer as the SDKs' ListTasks returns it: times are epoch milliseconds.</summary>
public sealed record TaskListResponse(
    [property: JsonPropertyName("request_id")] string RequestId,
    [property: JsonPropertyName("data")] IReadOnlyList<TaskListItem> Data,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("total_page")] int TotalPage,
    [property: JsonPropertyName("page_no")] int PageNo,
    [property: JsonPropertyName("page_size")] int PageSize);

public sealed record TaskListItem(
    [property: JsonPropertyName("task_id")] string TaskId,
    [property: JsonPropertyName("request_id")] string RequestId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("model_name")] string ModelName,
    [property: JsonPropertyName("region")] string Region,
    [property: JsonPropertyName("gmt_create")] long GmtCreate,
    [property: JsonPropertyName("start_time")] long? StartTime,
    [property: JsonPropertyName("end_time")] long? EndTime);

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Write '&' in signed URLs as is, like the provider, instead of \u0026.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
