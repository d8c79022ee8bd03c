using System.Text.Json.Serialization;

namespace WanFunctions.Workflow;

/// <summary>
/// The error codes the workflow itself gives a job (<see cref="JobError.Code"/>). The provider's own codes
/// (<c>InvalidParameter</c>, <c>DataInspectionFailed</c>, <c>InvalidApiKey</c>…) are passed on as DashScope sends them,
/// with <see cref="JobErrorSource.Provider"/>. Part of the HTTP API and of stored results: never rename one.
/// </summary>
public static class JobErrors
{
    /// <summary>The submit failed after its retries, or the provider answered without a task id.</summary>
    public const string SubmitFailed = "SubmitFailed";

    /// <summary>The submit's answer was lost and the provider's task list did not settle whether a task was created.</summary>
    public const string SubmitOutcomeUnknown = "SubmitOutcomeUnknown";

    /// <summary>A blob reference does not exist (checked before anything is submitted).</summary>
    public const string ReferenceNotFound = "ReferenceNotFound";

    /// <summary>
    /// A blob reference names a container jobs may not read from (only <c>Storage:ReferencesContainer</c> and
    /// <c>Storage:ExtraReferenceContainers</c>); nothing is signed or submitted.
    /// </summary>
    public const string ReferenceNotAllowed = "ReferenceNotAllowed";

    /// <summary>A blob reference is over the provider's size limit (videos 100 MB, images 20 MB).</summary>
    public const string ReferenceTooLarge = "ReferenceTooLarge";

    /// <summary>The provider task did not finish before the job's deadline.</summary>
    public const string DeadlineExceeded = "DeadlineExceeded";

    /// <summary>
    /// The job was canceled: at the caller's request (source workflow), or the provider task was CANCELED and the
    /// provider gave no code of its own (source provider).
    /// </summary>
    public const string Canceled = "Canceled";

    /// <summary>The cancel call failed after its retries (transient faults); the job goes on as if it was refused.</summary>
    public const string CancelFailed = "CancelFailed";

    /// <summary>The finished video could not be archived after the archive's retries.</summary>
    public const string ArchiveFailed = "ArchiveFailed";

    /// <summary>The provider task FAILED without a code of its own (source provider).</summary>
    public const string TaskFailed = "TaskFailed";

    /// <summary>The provider answered UNKNOWN (expired or unknown task id) without a code of its own (source provider).</summary>
    public const string TaskUnknown = "TaskUnknown";

    /// <summary>The workflow itself broke: the orchestration failed, or its result cannot be read (HTTP API only).</summary>
    public const string WorkflowFailed = "WorkflowFailed";

    /// <summary>No slot of the account became free within <c>Workflow:MaxQueueTime</c>; nothing was submitted.</summary>
    public const string QueueTimeout = "QueueTimeout";

    /// <summary>The capacity gate's state could not be read or written (storage trouble); nothing was submitted.</summary>
    public const string GateUnavailable = "GateUnavailable";
}

/// <summary>Whose code a <see cref="JobError"/> carries; <c>"provider"</c> or <c>"workflow"</c> in JSON (HTTP API and durable payloads).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobErrorSource>))]
public enum JobErrorSource
{
    /// <summary>DashScope's own code and message.</summary>
    [JsonStringEnumMemberName("provider")]
    Provider,

    /// <summary>One of <see cref="JobErrors"/>.</summary>
    [JsonStringEnumMemberName("workflow")]
    Workflow,
}
