using WanFunctions.DashScope;
using WanFunctions.Jobs;
using WanFunctions.Workflow;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>Inputs and answers for orchestrator tests.</summary>
internal static class WorkflowData
{
    public const string JobId = "job-1";
    public const string TaskId = "task-1";

    public static readonly DateTime AcceptedAt = new(2025, 3, 4, 10, 0, 0, DateTimeKind.Utc);

    /// <summary>The clock when the orchestrator starts (and so when the task is submitted): a little after acceptance.</summary>
    public static readonly DateTime StartedAt = AcceptedAt.AddSeconds(5);

    /// <summary>The defaults (45 s first look, 15 s × 1.5 up to 60 s, 30 min deadline, 100 polls per generation).</summary>
    public static PollingSchedule DefaultSchedule => new WorkflowOptions().ToSchedule();

    public static ValidatedJob Job(string? callbackUrl = null) => new(
        Model: ModelCatalog.Wan26R2VFlash,
        Prompt: "character1 waves at the camera.",
        NegativePrompt: null,
        References: [new ValidatedReference("https://example.com/actor1.mp4", null, ReferenceKind.Video)],
        Size: "1280*720",
        Duration: 5,
        Audio: true,
        ShotType: "single",
        Watermark: false,
        Seed: null,
        CallbackUrl: callbackUrl,
        BilledSecondsUpperBound: 10m);

    public static VideoJobInput Input(PollingSchedule? schedule = null, string? callbackUrl = null, PollState? poll = null) =>
        new(JobId, Job(callbackUrl), AcceptedAt, schedule ?? DefaultSchedule, poll);

    public static OrchestrationContextFake Context(DateTime? start = null) => new(start ?? StartedAt, JobId);

    public static SubmitOutcome Submitted => new(TaskId);

    public static TaskCheck Pending => new(DashScopeTaskState.Pending);

    public static TaskCheck Running => new(DashScopeTaskState.Running);

    public static readonly DashScopeUsage Usage = new(Duration: 10, InputVideoDuration: 5, OutputVideoDuration: 5, Size: "1280*720", VideoCount: 1);

    public static TaskCheck Succeeded => new(DashScopeTaskState.Succeeded, Usage: Usage);

    public static readonly ArchivedVideo Video = new("https://store.blob.core.windows.net/videos/2025/03/04/job-1.mp4",
        "videos", "2025/03/04/job-1.mp4", 123_456, AlreadyArchived: false);

    /// <summary>What the archive activity answers when it stored <see cref="Video"/>.</summary>
    public static ArchiveOutcome Archived => new(Video);
}
