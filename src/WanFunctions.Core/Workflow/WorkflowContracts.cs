using System.Text.Json.Serialization;
using WanFunctions.Capacity;
using WanFunctions.DashScope;
using WanFunctions.Jobs;

namespace WanFunctions.Workflow;

// Records that cross the durable boundary (orchestration input/output, activity input/output, custom status).
// Every property has an explicit JSON name so the Functions worker and the Durable Task SDK read them alike,
// and none carries a secret: no API key, no SAS token, no signed video URL.

/// <summary>
/// The orchestration's input. <see cref="Poll"/> is null until the provider task exists (set again on ContinueAsNew).
/// <see cref="Gate"/> is the job's capacity-gate ticket, null when the gate is off. <see cref="MaxQueueTime"/>
/// (<c>Workflow:MaxQueueTime</c>, copied at start) bounds the wait before the provider accepts the task when the gate is
/// off (behind the gate the ticket has its own copy); null for a job started before it was copied.
/// </summary>
public sealed record VideoJobInput(
    [property: JsonPropertyName("jobId")] string JobId,
    [property: JsonPropertyName("job")] ValidatedJob Job,
    [property: JsonPropertyName("acceptedAt")] DateTime AcceptedAt,
    [property: JsonPropertyName("schedule")] PollingSchedule Schedule,
    [property: JsonPropertyName("poll")] PollState? Poll = null,
    [property: JsonPropertyName("gate")] GateTicket? Gate = null,
    [property: JsonPropertyName("maxQueueTime")] TimeSpan? MaxQueueTime = null);

/// <summary>
/// When to look at the provider task. Carried in the input (not read from options inside the orchestrator)
/// so a replay always sees the schedule the job started with. <see cref="Learned"/>: fetch the class's learned
/// schedule (<see cref="PollPlan"/>) when the wait starts; false in inputs written before it existed.
/// </summary>
public sealed record PollingSchedule(
    [property: JsonPropertyName("firstPollDelay")] TimeSpan FirstPollDelay,
    [property: JsonPropertyName("pollInterval")] TimeSpan PollInterval,
    [property: JsonPropertyName("backoffFactor")] double BackoffFactor,
    [property: JsonPropertyName("maxPollInterval")] TimeSpan MaxPollInterval,
    [property: JsonPropertyName("deadline")] TimeSpan Deadline,
    [property: JsonPropertyName("pollsPerGeneration")] int PollsPerGeneration,
    [property: JsonPropertyName("submitAttempts")] int SubmitAttempts,
    [property: JsonPropertyName("retryInterval")] TimeSpan RetryInterval,
    [property: JsonPropertyName("learned")] bool Learned = false);

/// <summary>
/// Where polling stands; survives ContinueAsNew. <see cref="ProviderRawState"/> is the provider's own status string
/// (null before the first look). <see cref="CancelRequested"/> is a cancel event that arrived just before a
/// ContinueAsNew, carried over to be handled first in the next generation. <see cref="Account"/> is the pool account
/// that accepted the task (null: a job started before the pool, the account "default"): every later call uses it.
/// <see cref="Plan"/> is the job's poll plan, fixed when the wait started (null: today's schedule);
/// <see cref="RunStartedAt"/> when the task started running (its <c>scheduled_time</c>, once a query saw it at work);
/// <see cref="NotRunningAt"/> the last query that saw it PENDING.
/// </summary>
public sealed record PollState(
    [property: JsonPropertyName("taskId")] string TaskId,
    [property: JsonPropertyName("submittedAt")] DateTime SubmittedAt,
    [property: JsonPropertyName("deadlineAt")] DateTime DeadlineAt,
    [property: JsonPropertyName("polls")] int Polls,
    [property: JsonPropertyName("providerState")] DashScopeTaskState ProviderState,
    [property: JsonPropertyName("cancelRefused")] bool CancelRefused = false,
    [property: JsonPropertyName("providerRawState")] string? ProviderRawState = null,
    [property: JsonPropertyName("cancelRequested")] CancelRequest? CancelRequested = null,
    [property: JsonPropertyName("account")] string? Account = null,
    [property: JsonPropertyName("plan")] PollPlan? Plan = null,
    [property: JsonPropertyName("runStartedAt")] DateTime? RunStartedAt = null,
    [property: JsonPropertyName("notRunningAt")] DateTime? NotRunningAt = null)
{
    /// <summary>The task and its account, the input of the query and cancel activities.</summary>
    [JsonIgnore]
    public ProviderTaskRef Task => new(TaskId, Account);
}

/// <summary>
/// A provider task and the pool account that accepted it: a task is visible only to that account's key, so it is
/// queried, canceled and fetched with it. <see cref="Account"/> null means the account "default".
/// <see cref="ReleaseWhenFinal"/> (CheckVideoTask only; optional, so older inputs read as null): the job's gate slot, which
/// the query that finds the task in a final state gives back at once, instead of a later ReleaseCapacity step.
/// <see cref="NotBefore"/> (CheckVideoTask only; optional): the moment the look was planned for; an activity that starts
/// earlier (the timer fired early) waits for it (<see cref="Activities.EarlyTimers"/>).
/// </summary>
public sealed record ProviderTaskRef(
    [property: JsonPropertyName("taskId")] string TaskId,
    [property: JsonPropertyName("account")] string? Account = null,
    [property: JsonPropertyName("releaseWhenFinal")] CapacityRequest? ReleaseWhenFinal = null,
    [property: JsonPropertyName("notBefore")] DateTime? NotBefore = null);

[JsonConverter(typeof(JsonStringEnumConverter<JobPhase>))]
public enum JobPhase
{
    Submitting,
    Polling,
    Archiving,
    Finished,
    /// <summary>Waiting for a slot of the capacity gate (last, so stored numeric values keep their meaning).</summary>
    Queued,
}

/// <summary>
/// The orchestration's custom status: what a caller sees while the job runs. <see cref="ProviderState"/> is
/// <see cref="DashScopeTaskState.Other"/> for a state the docs do not list; <see cref="ProviderRawState"/> is the
/// provider's own string either way (e.g. <c>RUNNING</c>, <c>PRE-PROCESSING</c>).
/// </summary>
public sealed record JobProgress(
    [property: JsonPropertyName("phase")] JobPhase Phase,
    [property: JsonPropertyName("taskId")] string? TaskId = null,
    [property: JsonPropertyName("providerState")] DashScopeTaskState? ProviderState = null,
    [property: JsonPropertyName("submittedAt")] DateTime? SubmittedAt = null,
    [property: JsonPropertyName("polls")] int Polls = 0,
    [property: JsonPropertyName("nextPollAt")] DateTime? NextPollAt = null,
    [property: JsonPropertyName("deadlineAt")] DateTime? DeadlineAt = null,
    [property: JsonPropertyName("note")] string? Note = null,
    [property: JsonPropertyName("providerRawState")] string? ProviderRawState = null,
    [property: JsonPropertyName("queuePosition")] int? QueuePosition = null,
    [property: JsonPropertyName("estimatedStartAt")] DateTime? EstimatedStartAt = null);

[JsonConverter(typeof(JsonStringEnumConverter<JobOutcome>))]
public enum JobOutcome
{
    Succeeded,
    Failed,
    Canceled,
    TimedOut,
}

/// <summary>
/// Why a job did not succeed. <see cref="Source"/> is <see cref="JobErrorSource.Provider"/> for DashScope's own codes,
/// <see cref="JobErrorSource.Workflow"/> for ours (<see cref="JobErrors"/>).
/// </summary>
public sealed record JobError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("source")] JobErrorSource Source)
{
    /// <summary>The provider's own refusal: its code and its message (already scrubbed of URLs and the key), source provider.</summary>
    public static JobError FromProvider(DashScopeException ex) => new(ex.Code, ex.ProviderMessage, JobErrorSource.Provider);
}

public sealed record JobTimings(
    [property: JsonPropertyName("acceptedAt")] DateTime AcceptedAt,
    [property: JsonPropertyName("submittedAt")] DateTime? SubmittedAt,
    [property: JsonPropertyName("finishedAt")] DateTime FinishedAt,
    [property: JsonPropertyName("polls")] int Polls);

/// <summary>The orchestration's output.</summary>
public sealed record JobResult(
    [property: JsonPropertyName("outcome")] JobOutcome Outcome,
    [property: JsonPropertyName("taskId")] string? TaskId,
    [property: JsonPropertyName("video")] ArchivedVideo? Video,
    [property: JsonPropertyName("usage")] DashScopeUsage? Usage,
    [property: JsonPropertyName("timings")] JobTimings Timings,
    [property: JsonPropertyName("error")] JobError? Error = null);

/// <summary>
/// <see cref="ReturnThrottled"/>: a 429 comes back as <see cref="SubmitOutcome.Throttled"/> (the gate handles it) instead
/// of being thrown. <see cref="Account"/>: the pool account to submit with (the gate's grant); null lets the activity
/// pick one of the accounts that serve the job (gate off).
/// </summary>
public sealed record SubmitVideoTaskInput(
    [property: JsonPropertyName("jobId")] string JobId,
    [property: JsonPropertyName("job")] ValidatedJob Job,
    [property: JsonPropertyName("returnThrottled")] bool ReturnThrottled = false,
    [property: JsonPropertyName("account")] string? Account = null,
    [property: JsonPropertyName("notBefore")] DateTime? NotBefore = null);

/// <summary>
/// A submitted task, or the provider's permanent refusal (transient faults are thrown so the retry policy sees them).
/// <see cref="Throttled"/>: the provider answered 429 and created nothing (only when the input asked for it).
/// <see cref="Account"/>: the pool account the task belongs to (null: "default"). <see cref="SubmittedAt"/>: when the
/// provider's answer reached the activity (its clock, UTC), so the task was created no later than this; null when the
/// run found the task recorded or settled it from the task list.
/// </summary>
public sealed record SubmitOutcome(
    [property: JsonPropertyName("taskId")] string? TaskId,
    [property: JsonPropertyName("error")] JobError? Error = null,
    [property: JsonPropertyName("throttled")] bool Throttled = false,
    [property: JsonPropertyName("account")] string? Account = null,
    [property: JsonPropertyName("submittedAt")] DateTime? SubmittedAt = null);

/// <summary>
/// One look at the provider task, without its signed video URL. <see cref="Code"/>/<see cref="Message"/> are the task's
/// own (a FAILED task's reason). <see cref="Error"/> is set instead when the provider refused the query itself for good
/// (401 <c>InvalidApiKey</c>, 403 <c>AccessDenied</c>, 400 <c>Arrearage</c>…); <see cref="State"/> then means nothing.
/// Transient faults are thrown so the retry policy sees them. The times are the provider's <c>submit_time</c>,
/// <c>scheduled_time</c> (started running) and <c>end_time</c> as UTC, when it reported them.
/// </summary>
public sealed record TaskCheck(
    [property: JsonPropertyName("state")] DashScopeTaskState State,
    [property: JsonPropertyName("code")] string? Code = null,
    [property: JsonPropertyName("message")] string? Message = null,
    [property: JsonPropertyName("usage")] DashScopeUsage? Usage = null,
    [property: JsonPropertyName("rawState")] string? RawState = null,
    [property: JsonPropertyName("error")] JobError? Error = null,
    [property: JsonPropertyName("submitTime")] DateTime? SubmitTime = null,
    [property: JsonPropertyName("scheduledTime")] DateTime? ScheduledTime = null,
    [property: JsonPropertyName("endTime")] DateTime? EndTime = null);

/// <summary>
/// One finished run to learn from: the job's class (<see cref="PollClass"/>), the task, its RUNNING seconds and its whole
/// wait from the submit in seconds (null when the provider reported no <c>submit_time</c>, and in older inputs).
/// </summary>
public sealed record PollSampleInput(
    [property: JsonPropertyName("classKey")] string ClassKey,
    [property: JsonPropertyName("taskId")] string TaskId,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("totalSeconds")] double? TotalSeconds = null);

/// <summary>
/// A cancel: done, or refused (<see cref="Code"/>: the task is no longer PENDING). <see cref="Error"/> is set when the
/// provider refused the call itself for good (401, 403, …): the job cannot go on with it.
/// </summary>
public sealed record CancelOutcome(
    [property: JsonPropertyName("canceled")] bool Canceled,
    [property: JsonPropertyName("code")] string? Code = null,
    [property: JsonPropertyName("message")] string? Message = null,
    [property: JsonPropertyName("error")] JobError? Error = null);

public sealed record ArchiveVideoInput(
    [property: JsonPropertyName("jobId")] string JobId,
    [property: JsonPropertyName("taskId")] string TaskId,
    [property: JsonPropertyName("blobName")] string BlobName,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("size")] string Size,
    [property: JsonPropertyName("duration")] int Duration,
    [property: JsonPropertyName("promptSha256")] string PromptSha256,
    [property: JsonPropertyName("account")] string? Account = null);

/// <summary>The archived video, or the provider's permanent refusal of the archive's own look-up of the video URL.</summary>
public sealed record ArchiveOutcome(
    [property: JsonPropertyName("video")] ArchivedVideo? Video,
    [property: JsonPropertyName("error")] JobError? Error = null);

/// <summary>
/// The archived blob. <see cref="Method"/> is how the bytes got there (<see cref="Storage.ArchiveMethods"/>:
/// <c>server-copy</c> or <c>streamed</c>); null only for a blob archived before the method was recorded.
/// </summary>
public sealed record ArchivedVideo(
    [property: JsonPropertyName("blobUri")] string BlobUri,
    [property: JsonPropertyName("container")] string Container,
    [property: JsonPropertyName("blobName")] string BlobName,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("alreadyArchived")] bool AlreadyArchived,
    [property: JsonPropertyName("method")] string? Method = null);

public sealed record CallbackInput(
    [property: JsonPropertyName("jobId")] string JobId,
    [property: JsonPropertyName("callbackUrl")] string CallbackUrl,
    [property: JsonPropertyName("result")] JobResult Result);

/// <summary>The payload of the "cancel" external event.</summary>
public sealed record CancelRequest([property: JsonPropertyName("reason")] string? Reason);
