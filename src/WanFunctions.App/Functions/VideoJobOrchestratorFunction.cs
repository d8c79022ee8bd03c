using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using WanFunctions.Workflow;

namespace WanFunctions.App.Functions;

public static class VideoJobOrchestratorFunction
{
    // The worker binds the orchestration's input to the parameter that has no binding attribute.
    [Function(WorkflowNames.Orchestrator)]
    public static Task<JobResult> Run([OrchestrationTrigger] TaskOrchestrationContext context, VideoJobInput input) =>
        new VideoJobOrchestration().RunAsync(context, input);
}
