using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using WanFunctions.Workflow;

namespace WanFunctions.App.Functions;

public static class VideoJobOrchestratorFunction
{
    [Function(WorkflowNames.Orchestrator)]
    public static Task<JobResult> Run([OrchestrationTrigger] TaskOrchestrationContext context) =>
        VideoJobOrchestration.RunAsync(context, context.GetInput<VideoJobInput>()
            ?? throw new InvalidOperationException("The orchestration was started without a job."));
}
