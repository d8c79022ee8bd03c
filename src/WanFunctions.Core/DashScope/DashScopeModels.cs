using System.Text.Json.Serialization;

namespace WanFunctions.DashScope;

/// <summary>
/// The provider's task states. The list is not closed: its SDK also knows SUSPENDED, and its other async APIs report
/// PRE-PROCESSING and POST-PROCESSING. Any status string not listed here is <see cref="Other"/>, which is not terminal
/// (the string itself is in <see cref="DashScopeTaskStatus.RawState"/>).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<DashScopeTaskState>))]
public enum DashScopeTaskState
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Canceled,
    Unknown,

    /// <summary>A state the docs do not list (PRE-PROCESSING, SUSPENDED, …): the provider is still at work.</summary>
    Other,
}

public static class DashScopeTaskStateExtensions
{
    /// <summary>
    /// True only for SUCCEEDED, FAILED, CANCELED and UNKNOWN: the states at which the provider's own SDK stops waiting.
    /// Anything else (PENDING, RUNNING, <see cref="DashScopeTaskState.Other"/>) means look again later.
    /// </summary>
    public static bool IsTerminal(this DashScopeTaskState state) =>
        state is DashScopeTaskState.Succeeded or DashScopeTaskState.Failed or DashScopeTaskState.Canceled or DashScopeTaskState.Unknown;
}

/// <summary>What we send to DashScope; reference URLs are already public or signed.</summary>
public sealed record VideoSynthesisRequest(
    string Model,
    string Prompt,
    string? NegativePrompt,
    IReadOnlyList<string> ReferenceUrls,
    string? Size = null,
    int? Duration = null,
    bool? Audio = null,
    string? ShotType = null,
    bool? Watermark = null,
    long? Seed = null);

public sealed record SubmittedTask(string TaskId, string? RequestId);

/// <summary>
/// One answer of the query call. <see cref="VideoUrl"/> is a signed URL: never log it
/// and never put it into durable history (the archive activity asks for it afresh).
/// <see cref="RawState"/> is <c>task_status</c> as the provider wrote it (trimmed, at most 40 characters), e.g.
/// <c>PRE-PROCESSING</c> where <see cref="State"/> is <see cref="DashScopeTaskState.Other"/>.
/// <see cref="OrigPrompt"/> is the prompt the task was submitted with (<c>output.orig_prompt</c>), which attributes an
/// unrecorded task to its job. The times are UTC instants (the provider's wall clock read in
/// <see cref="DashScopeOptions.ProviderTimeOffset"/>).
/// </summary>
public sealed record DashScopeTaskStatus(
    string TaskId,
    DashScopeTaskState State,
    string? VideoUrl = null,
    string? Code = null,
    string? Message = null,
    DateTimeOffset? SubmitTime = null,
    DateTimeOffset? ScheduledTime = null,
    DateTimeOffset? EndTime = null,
    DashScopeUsage? Usage = null,
    string? RawState = null,
    string? OrigPrompt = null);

/// <summary>The provider's usage block (only meaningful once SUCCEEDED).</summary>
public sealed record DashScopeUsage(
    double? Duration = null,
    double? InputVideoDuration = null,
    double? OutputVideoDuration = null,
    string? Size = null,
    int? VideoCount = null,
    string? SR = null);

public sealed record DashScopeTaskQuery(
    int PageNo = 1,
    int PageSize = 10,
    DateTimeOffset? StartTime = null,
    DateTimeOffset? EndTime = null,
    string? ModelName = null);

public sealed record DashScopeTaskPage(IReadOnlyList<DashScopeTaskStatus> Tasks, int Total);
