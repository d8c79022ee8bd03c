namespace WanFunctions.Workflow;

/// <summary>Durable names shared by the Functions app and the local host; renaming one breaks in-flight jobs.</summary>
public static class WorkflowNames
{
    public const string Orchestrator = "VideoJobOrchestrator";
    public const string SubmitVideoTask = "SubmitVideoTask";
    public const string CheckVideoTask = "CheckVideoTask";
    public const string CancelVideoTask = "CancelVideoTask";
    public const string ArchiveVideo = "ArchiveVideo";
    public const string NotifyCallback = "NotifyCallback";
    public const string AcquireCapacity = "AcquireCapacity";
    public const string ReleaseCapacity = "ReleaseCapacity";
    public const string RenewCapacityLease = "RenewCapacityLease";
    public const string ReportThrottled = "ReportThrottled";
    public const string GetPollPlan = "GetPollPlan";
    public const string RecordPollSample = "RecordPollSample";
    public const string CancelEvent = "cancel";
}
