using System.Text.Json.Serialization;
using WanFunctions.Capacity;
using WanFunctions.Workflow;

namespace WanFunctions.Api;

// The HTTP API's answers, camelCase JSON written with ApiJson.Options (nulls left out). Both hosts send these, and the
// local host's OpenAPI document (docs/openapi.json) describes them.

/// <summary>
/// The 202 of <c>POST /api/videos</c>: the job's id, where to read its state and how to cancel it (absolute URIs),
/// the billed-seconds upper bound (output seconds plus the per-reference cap of each video reference), and warnings
/// that did not stop the job.
/// </summary>
public sealed record JobAccepted(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("statusUri")] string StatusUri,
    [property: JsonPropertyName("cancelUri")] string CancelUri,
    [property: JsonPropertyName("billedSecondsUpperBound")] decimal? BilledSecondsUpperBound,
    [property: JsonPropertyName("warnings")] IReadOnlyList<string> Warnings);

/// <summary>
/// <c>GET /api/videos/{id}</c>: <see cref="Status"/> is the caller-facing state (<c>Pending</c>, <c>Running</c>,
/// <c>Succeeded</c>, <c>Failed</c>, <c>Canceled</c>, <c>TimedOut</c>, <c>Terminated</c>), <see cref="RuntimeStatus"/>
/// the orchestration's own; <see cref="Progress"/> while it runs, <see cref="Result"/> once it is done, and
/// <see cref="Error"/> when it did not succeed. <see cref="CancelUri"/> only while a cancel can still be heard.
/// </summary>
public sealed record JobStatus(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("runtimeStatus")] string RuntimeStatus,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("lastUpdatedAt")] DateTimeOffset LastUpdatedAt,
    [property: JsonPropertyName("progress")] JobProgress? Progress,
    [property: JsonPropertyName("result")] JobResult? Result,
    [property: JsonPropertyName("error")] JobError? Error,
    [property: JsonPropertyName("cancelUri")] string? CancelUri);

/// <summary>One job in a page of <c>GET /api/videos</c>.</summary>
public sealed record JobSummary(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("runtimeStatus")] string RuntimeStatus,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("lastUpdatedAt")] DateTimeOffset LastUpdatedAt,
    [property: JsonPropertyName("statusUri")] string StatusUri);

/// <summary>A page of <c>GET /api/videos</c>; pass <see cref="ContinuationToken"/> back for the next one (absent on the last).</summary>
public sealed record JobPage(
    [property: JsonPropertyName("items")] IReadOnlyList<JobSummary> Items,
    [property: JsonPropertyName("continuationToken")] string? ContinuationToken);

/// <summary>The 202 of <c>POST /api/videos/{id}/cancel</c>: the cancel was handed to the job; its status tells the outcome.</summary>
public sealed record CancelAccepted(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("statusUri")] string StatusUri,
    [property: JsonPropertyName("message")] string Message);

/// <summary><c>GET /api/gate</c>: the capacity gate of every account.</summary>
public sealed record GateOverview([property: JsonPropertyName("accounts")] IReadOnlyList<GateView> Accounts);
