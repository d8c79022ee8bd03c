using WanFunctions.DashScope;

namespace WanFunctions.Workflow.Activities;

/// <summary>One look at the provider task. The signed video URL is left out on purpose: it must not enter history.</summary>
public sealed class CheckVideoTaskActivity(IDashScopeClient dashScope) : IWorkflowActivity<string, TaskCheck>
{
    public async Task<TaskCheck> RunAsync(string taskId, CancellationToken cancellationToken)
    {
        DashScopeTaskStatus status = await dashScope.GetTaskAsync(taskId, cancellationToken);
        return new TaskCheck(status.State, status.Code, status.Message, status.Usage);
    }
}
