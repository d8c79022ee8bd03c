using WanFunctions.DashScope;

namespace WanFunctions.Workflow.Activities;

/// <summary>Asks the provider to cancel a task; it does so only while the task is PENDING.</summary>
public sealed class CancelVideoTaskActivity(IDashScopeClient dashScope) : IWorkflowActivity<string, CancelOutcome>
{
    public async Task<CancelOutcome> RunAsync(string taskId, CancellationToken cancellationToken)
    {
        try
        {
            await dashScope.CancelAsync(taskId, cancellationToken);
            return new CancelOutcome(true);
        }
        catch (DashScopeException ex) when (!ex.IsTransient)
        {
            // A second run after a successful cancel lands here too: the task is CANCELED, no longer PENDING.
            DashScopeTaskStatus status = await dashScope.GetTaskAsync(taskId, cancellationToken);
            return status.State == DashScopeTaskState.Canceled
                ? new CancelOutcome(true)
                : new CancelOutcome(false, ex.Code, ex.ProviderMessage);
        }
    }
}
