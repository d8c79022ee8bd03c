using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using WanFunctions.Capacity;
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

// The query that finds a task final may give its gate slot back, and wakes the next job like the capacity activities below.
public sealed class CheckVideoTaskFunction(CheckVideoTaskActivity activity, ILogger<DurableClientJobWaker> log)
{
    [Function(WorkflowNames.CheckVideoTask)]
    public Task<TaskCheck> Run([ActivityTrigger] ProviderTaskRef task, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        activity.RunAsync(task, new DurableClientJobWaker(client, log), cancellationToken);
}

public sealed class CancelVideoTaskFunction(CancelVideoTaskActivity activity)
{
    [Function(WorkflowNames.CancelVideoTask)]
    public Task<CancelOutcome> Run([ActivityTrigger] ProviderTaskRef task, CancellationToken cancellationToken) =>
        activity.RunAsync(task, cancellationToken);
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

public sealed class GetPollPlanFunction(GetPollPlanActivity activity)
{
    [Function(WorkflowNames.GetPollPlan)]
    public Task<PollPlan> Run([ActivityTrigger] string classKey, CancellationToken cancellationToken) =>
        activity.RunAsync(classKey, cancellationToken);
}

public sealed class RecordPollSampleFunction(RecordPollSampleActivity activity)
{
    [Function(WorkflowNames.RecordPollSample)]
    public Task<bool> Run([ActivityTrigger] PollSampleInput input, CancellationToken cancellationToken) =>
        activity.RunAsync(input, cancellationToken);
}

// The capacity activities wake granted jobs with the DurableTaskClient of a [DurableClient] binding: the isolated
// worker has no client in DI (azure-functions-durable-extension #2736).

public sealed class AcquireCapacityFunction(AcquireCapacityActivity activity, ILogger<DurableClientJobWaker> log)
{
    [Function(WorkflowNames.AcquireCapacity)]
    public Task<CapacityAnswer> Run([ActivityTrigger] CapacityRequest input, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        activity.RunAsync(input, new DurableClientJobWaker(client, log), cancellationToken);
}

public sealed class ReleaseCapacityFunction(ReleaseCapacityActivity activity, ILogger<DurableClientJobWaker> log)
{
    [Function(WorkflowNames.ReleaseCapacity)]
    public Task<bool> Run([ActivityTrigger] CapacityRequest input, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        activity.RunAsync(input, new DurableClientJobWaker(client, log), cancellationToken);
}

public sealed class RenewCapacityLeaseFunction(RenewCapacityLeaseActivity activity, ILogger<DurableClientJobWaker> log)
{
    [Function(WorkflowNames.RenewCapacityLease)]
    public Task<DateTime> Run([ActivityTrigger] CapacityRequest input, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        activity.RunAsync(input, new DurableClientJobWaker(client, log), cancellationToken);
}

public sealed class ReportThrottledFunction(ReportThrottledActivity activity, ILogger<DurableClientJobWaker> log)
{
    [Function(WorkflowNames.ReportThrottled)]
    public Task<CapacityAnswer> Run([ActivityTrigger] CapacityRequest input, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        activity.RunAsync(input, new DurableClientJobWaker(client, log), cancellationToken);
}
