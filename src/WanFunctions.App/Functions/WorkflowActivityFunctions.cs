using Microsoft.Azure.Functions.Worker;
using WanFunctions.Workflow;
using WanFunctions.Workflow.Activities;

namespace WanFunctions.App.Functions;

// One-line adapters from [ActivityTrigger] to the shared activities (the class-based [DurableTask]
// source generator is not available here, so each activity gets a small function of its own).

public sealed class SubmitVideoTaskFunction(SubmitVideoTaskActivity activity)
{
    [Function(WorkflowNames.SubmitVideoTask)]
    public Task<SubmitOutcome> Run([ActivityTrigger] SubmitVideoTaskInput input, CancellationToken cancellationToken) =>
        activity.RunAsync(input, cancellationToken);
}

public sealed class CheckVideoTaskFunction(CheckVideoTaskActivity activity)
{
    [Function(WorkflowNames.CheckVideoTask)]
    public Task<TaskCheck> Run([ActivityTrigger] string taskId, CancellationToken cancellationToken) =>
        activity.RunAsync(taskId, cancellationToken);
}

public sealed class CancelVideoTaskFunction(CancelVideoTaskActivity activity)
{
    [Function(WorkflowNames.CancelVideoTask)]
    public Task<CancelOutcome> Run([ActivityTrigger] string taskId, CancellationToken cancellationToken) =>
        activity.RunAsync(taskId, cancellationToken);
}

public sealed class ArchiveVideoFunction(ArchiveVideoActivity activity)
{
    [Function(WorkflowNames.ArchiveVideo)]
    public Task<ArchiveOutcome> Run([ActivityTrigger] ArchiveVideoInput input, CancellationToken cancellationToken) =>
        activity.RunAsync(input, cancellationToken);
}

public sealed class NotifyCallbackFunction(NotifyCallbackActivity activity)
{
    [Function(WorkflowNames.NotifyCallback)]
    public Task<bool> Run([ActivityTrigger] CallbackInput input, CancellationToken cancellationToken) =>
        activity.RunAsync(input, cancellationToken);
}
