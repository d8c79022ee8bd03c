using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace WanFunctions.DashScope;

// The provider's JSON, field for field. Property names are explicit (snake_case, and "SR" as the provider spells it);
// unknown fields are skipped, numbers may arrive as strings, and nulls are never written.

internal sealed record SubmitRequestDto(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("input")] SubmitInputDto Input,
    [property: JsonPropertyName("parameters")] SubmitParametersDto? Parameters);

internal sealed record SubmitInputDto(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("negative_prompt")] string? NegativePrompt,
    [property: JsonPropertyName("reference_urls")] IReadOnlyList<string> ReferenceUrls);

internal sealed record SubmitParametersDto(
    [property: JsonPropertyName("size")] string? Size,
    [property: JsonPropertyName("duration")] int? Duration,
    [property: JsonPropertyName("audio")] bool? Audio,
    [property: JsonPropertyName("shot_type")] string? ShotType,
    [property: JsonPropertyName("watermark")] bool? Watermark,
    [property: JsonPropertyName("seed")] long? Seed);

/// <summary>Submit and query answers share this shape (submit fills only task_id and task_status).</summary>
internal sealed record TaskResponseDto(
    [property: JsonPropertyName("request_id")] string? RequestId,
    [property: JsonPropertyName("output")] TaskOutputDto? Output,
    [property: JsonPropertyName("usage")] UsageDto? Usage);

internal sealed record TaskOutputDto(
    [property: JsonPropertyName("task_id")] string? TaskId,
    [property: JsonPropertyName("task_status")] string? TaskStatus,
    [property: JsonPropertyName("submit_time")] JsonElement? SubmitTime,
    [property: JsonPropertyName("scheduled_time")] JsonElement? ScheduledTime,
    [property: JsonPropertyName("end_time")] JsonElement? EndTime,
    [property: JsonPropertyName("video_url")] string? VideoUrl,
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("orig_prompt")] string? OrigPrompt = null);

internal sealed record UsageDto(
    [property: JsonPropertyName("duration")] double? Duration,
    [property: JsonPropertyName("input_video_duration")] double? InputVideoDuration,
    [property: JsonPropertyName("output_video_duration")] double? OutputVideoDuration,
    [property: JsonPropertyName("SR")] JsonElement? SR,
    [property: JsonPropertyName("size")] string? Size,
    [property: JsonPropertyName("video_count")] int? VideoCount);

/// <summary>Any HTTP error: <c>{"code","message","request_id"}</c>.</summary>
internal sealed record ErrorResponseDto(
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("request_id")] string? RequestId);

/// <summary>
/// List answer: <c>{"total","total_page","page_no","page_size","request_id","data":[…]}</c>. Items carry
/// <c>status</c> (not <c>task_status</c>) and epoch-millisecond times (<c>gmt_create</c>, <c>start_time</c>, <c>end_time</c>).
/// </summary>
internal sealed record ListResponseDto(
    [property: JsonPropertyName("request_id")] string? RequestId,
    [property: JsonPropertyName("data")] IReadOnlyList<ListItemDto?>? Data,
    [property: JsonPropertyName("total")] int? Total);

internal sealed record ListItemDto(
    [property: JsonPropertyName("task_id")] string? TaskId,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("task_status")] string? TaskStatus,
    [property: JsonPropertyName("gmt_create")] JsonElement? GmtCreate,
    [property: JsonPropertyName("start_time")] JsonElement? StartTime,
    [property: JsonPropertyName("end_time")] JsonElement? EndTime);

[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(SubmitRequestDto))]
[JsonSerializable(typeof(TaskResponseDto))]
[JsonSerializable(typeof(ErrorResponseDto))]
[JsonSerializable(typeof(ListResponseDto))]
internal sealed partial class DashScopeJsonContext : JsonSerializerContext;

/// <summary>Conversions between the wire and the public records.</summary>
internal static class DashScopeWire
{
    /// <summary>
    /// The provider writes times as <c>yyyy-MM-dd HH:mm:ss.fff</c> with no zone: wall clock in its own zone
    /// (<see cref="DashScopeOptions.ProviderTimeOffset"/>, UTC+8). The list call reports epoch milliseconds instead.
    /// </summary>
    private static readonly string[] TimeFormats =
    [
        "yyyy-MM-dd HH:mm:ss.fff",
        "yyyy-MM-dd HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
    ];

    /// <summary>The list call's <c>start_time</c>/<c>end_time</c> filter format: wall clock in the provider's zone, no offset.</summary>
    public const string FilterTimeFormat = "yyyyMMddHHmmss";

    /// <summary>
    /// A provider time as a UTC instant (offset 0): wall-clock text is read in <paramref name="providerOffset"/>, epoch
    /// milliseconds (a number or a numeric string) as they are. Null when absent, empty or unreadable.
    /// </summary>
    public static DateTimeOffset? ParseTime(JsonElement? element, TimeSpan providerOffset)
    {
        if (element is not { } e)
        {
            return null;
        }

        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                var text = e.GetString();
                if (string.IsNullOrWhiteSpace(text))
                {
                    return null;
                }

                if (DateTime.TryParseExact(text.Trim(), TimeFormats, CultureInfo.InvariantCulture,
                        DateTimeStyles.AllowWhiteSpaces, out var wallClock))
                {
                    // Ticks, not the DateTimeOffset constructor: a wall clock at the very edge of the calendar cannot throw.
                    var utcTicks = wallClock.Ticks - providerOffset.Ticks;
                    return utcTicks >= DateTime.MinValue.Ticks && utcTicks <= DateTime.MaxValue.Ticks
                        ? new DateTimeOffset(utcTicks, TimeSpan.Zero)
                        : null;
                }

                return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) ? FromEpochMs(ms) : null;
            case JsonValueKind.Number:
                return e.TryGetInt64(out var millis) ? FromEpochMs(millis) : null;
            default:
                return null;
        }
    }

    private static DateTimeOffset? FromEpochMs(long ms) =>
        ms is > 0 and < 253402300799999 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>
    /// An instant as the list filter wants it: the provider filters on its own wall clock (UTC+8 for the regions it
    /// documents), so a UTC value sent as is would shift the window by 8 hours.
    /// </summary>
    public static string FormatFilterTime(DateTimeOffset value, TimeSpan providerOffset) =>
        value.ToOffset(providerOffset).ToString(FilterTimeFormat, CultureInfo.InvariantCulture);

    /// <summary>
    /// The documented states by name (case-insensitive); any other status string is <see cref="DashScopeTaskState.Other"/>
    /// (not terminal: the provider's SDK keeps waiting on it). No status at all is <see cref="DashScopeTaskState.Unknown"/>.
    /// </summary>
    public static DashScopeTaskState ParseState(string? status) => status?.Trim().ToUpperInvariant() switch
    {
        "PENDING" => DashScopeTaskState.Pending,
        "RUNNING" => DashScopeTaskState.Running,
        "SUCCEEDED" => DashScopeTaskState.Succeeded,
        "FAILED" => DashScopeTaskState.Failed,
        "CANCELED" or "CANCELLED" => DashScopeTaskState.Canceled,
        "UNKNOWN" or null or "" => DashScopeTaskState.Unknown,
        _ => DashScopeTaskState.Other,
    };

    public static bool IsRecognisedState(string? status) =>
        status?.Trim().ToUpperInvariant() is "PENDING" or "RUNNING" or "SUCCEEDED" or "FAILED" or "CANCELED" or "CANCELLED" or "UNKNOWN";

    public static SubmitRequestDto ToWire(VideoSynthesisRequest request)
    {
        var parameters = new SubmitParametersDto(request.Size, request.Duration, request.Audio, request.ShotType, request.Watermark, request.Seed);
        var hasParameters = parameters is not { Size: null, Duration: null, Audio: null, ShotType: null, Watermark: null, Seed: null };
        return new SubmitRequestDto(
            request.Model,
            new SubmitInputDto(request.Prompt, request.NegativePrompt, request.ReferenceUrls),
            hasParameters ? parameters : null);
    }

    public static DashScopeUsage? ToUsage(UsageDto? usage)
    {
        if (usage is null)
        {
            return null;
        }

        var sr = usage.SR switch
        {
            { ValueKind: JsonValueKind.String } s => s.GetString(),
            { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
            _ => null,
        };
        return new DashScopeUsage(usage.Duration, usage.InputVideoDuration, usage.OutputVideoDuration, usage.Size, usage.VideoCount, sr);
    }
}
