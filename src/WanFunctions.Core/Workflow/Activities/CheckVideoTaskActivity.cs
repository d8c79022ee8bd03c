using WanFunctions.DashScope;

namespace WanFunctions.Workflow.Activities;

/// <summary>
/// One look at the provider task. The signed video URL is left out on purpose: it must not enter history.
/// A permanent refusal of the query (401 <c>InvalidApiKey</c>, 403 <c>AccessDenied</c>, 400 <c>Arrearage</c>…) comes back
/// as <see cref="TaskCheck.Error"/>, since another try cannot help; transient faults (429, 5xx, timeouts) are thrown for
/// the orchestration's retry policy. The query goes with the key of the account that accepted the task.
/// </summary>
public sealed class CheckVideoTaskActivity(IDashScopeClientFactory clients) : IWorkflowActivity<ProviderTaskRef, TaskCheck>
{
    public async Task<TaskCheck> RunAsync(ProviderTaskRef task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        DashScopeTaskStatus status;
        try
        {
            status = await clients.ClientOf(task.Account).GetTaskAsync(task.TaskId, cancellationToken);
        }
        catch (DashScopeException ex) when (!ex.IsTransient)
        {
            return new TaskCheck(DashScopeTaskState.Unknown, Error: JobError.FromProvider(ex));
        }

        return new TaskCheck(status.State, status.Code, status.Message, status.Usage, status.RawState);
    }
}
