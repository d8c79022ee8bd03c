using WanFunctions.DashScope;

namespace WanFunctions.Workflow.Activities;

/// <summary>
/// One look at the provider task. The signed video URL is left out on purpose: it must not enter history.
/// A permanent refusal of the query (401 <c>InvalidApiKey</c>, 403 <c>AccessDenied</c>, 400 <c>Arrearage</c>…) comes back
/// as <see cref="TaskCheck.Error"/>, since another try cannot help; transient faults (429, 5xx, timeouts) are thrown for
/// the orchestration's retry policy.
/// </summary>
public sealed class CheckVideoTaskActivity(IDashScopeClient dashScope) : IWorkflowActivity<string, TaskCheck>
{
    public async Task<TaskCheck> RunAsync(string taskId, CancellationToken cancellationToken)
    {
        DashScopeTaskStatus status;
        try
        {
            status = await dashScope.GetTaskAsync(taskId, cancellationToken);
        }
        catch (DashScopeException ex) when (!ex.IsTransient)
        {
            return new TaskCheck(DashScopeTaskState.Unknown, Error: JobError.FromProvider(ex));
        }

        return new TaskCheck(status.State, status.Code, status.Message, status.Usage, status.RawState,
            SubmitTime: status.SubmitTime?.UtcDateTime, ScheduledTime: status.ScheduledTime?.UtcDateTime, EndTime: status.EndTime?.UtcDateTime);
    }
}
