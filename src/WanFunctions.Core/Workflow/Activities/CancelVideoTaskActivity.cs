using WanFunctions.DashScope;
using WanFunctions.Telemetry;

namespace WanFunctions.Workflow.Activities;

/// <summary>
/// Asks the provider to cancel a task; it does so only while the task is PENDING, and otherwise answers 400
/// <c>UnsupportedOperation</c>, which comes back as a refusal. Any other permanent refusal of the call (401
/// <c>InvalidApiKey</c>, 403 <c>AccessDenied</c>…), of the cancel or of the follow-up look, comes back as
/// <see cref="CancelOutcome.Error"/>; transient faults are thrown for the orchestration's retry policy. The calls go with
/// the key of the account that accepted the task.
/// </summary>
public sealed class CancelVideoTaskActivity(IDashScopeClientFactory clients) : IWorkflowActivity<ProviderTaskRef, CancelOutcome>
{
    /// <summary>The provider's answer to a cancel of a task that is not PENDING (see the API reference's cancel call).</summary>
    public const string NotPendingCode = "UnsupportedOperation";

    /// <summary>Traced as <c>wan.cancel</c>: the task id, and the refusal's code when the provider did not cancel.</summary>
    public Task<CancelOutcome> RunAsync(ProviderTaskRef task, CancellationToken cancellationToken) =>
        WorkflowTelemetry.TraceAsync("cancel", JobTelemetryScope.CurrentJobId, async span =>
        {
            ArgumentNullException.ThrowIfNull(task);
            span.SetSafeTag(WorkflowTelemetry.Tags.TaskId, task.TaskId);
            span.SetSafeTag(WorkflowTelemetry.Tags.Account, task.Account);
            var outcome = await CancelAsync(task, cancellationToken);
            span.SetSafeTag(WorkflowTelemetry.Tags.ErrorCode, outcome.Error?.Code ?? outcome.Code);
            return outcome;
        });

    private async Task<CancelOutcome> CancelAsync(ProviderTaskRef task, CancellationToken cancellationToken)
    {
        var dashScope = clients.ClientOf(task.Account);
        var taskId = task.TaskId;
        try
        {
            await dashScope.CancelAsync(taskId, cancellationToken);
            return new CancelOutcome(true);
        }
        catch (DashScopeException ex) when (ex.Code == NotPendingCode)
        {
            // A second run after a successful cancel lands here too: the task is CANCELED, no longer PENDING.
            try
            {
                var status = await dashScope.GetTaskAsync(taskId, cancellationToken);
                return status.State == DashScopeTaskState.Canceled
                    ? new CancelOutcome(true)
                    : new CancelOutcome(false, ex.Code, ex.ProviderMessage);
            }
            catch (DashScopeException lookup) when (!lookup.IsTransient)
            {
                return new CancelOutcome(false, Error: JobError.FromProvider(lookup));
            }
        }
        catch (DashScopeException ex) when (!ex.IsTransient)
        {
            return new CancelOutcome(false, Error: JobError.FromProvider(ex));
        }
    }
}
