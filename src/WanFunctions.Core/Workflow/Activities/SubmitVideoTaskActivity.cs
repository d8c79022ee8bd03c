using Microsoft.Extensions.Logging;
using WanFunctions.DashScope;
using WanFunctions.Jobs;
using WanFunctions.Storage;

namespace WanFunctions.Workflow.Activities;

/// <summary>
/// Submits the job to DashScope. Permanent refusals (4xx) come back as <see cref="SubmitOutcome.Error"/>;
/// transient faults are thrown for the orchestration's retry policy. A second run for the same job returns
/// the task recorded by the first instead of submitting (and paying) again.
/// </summary>
public sealed class SubmitVideoTaskActivity(
    IDashScopeClient dashScope,
    ReferenceUrlResolver references,
    SubmissionLedger ledger,
    ILogger<SubmitVideoTaskActivity> log) : IWorkflowActivity<SubmitVideoTaskInput, SubmitOutcome>
{
    public async Task<SubmitOutcome> RunAsync(SubmitVideoTaskInput input, CancellationToken cancellationToken)
    {
        if (await ledger.FindTaskIdAsync(input.JobId, cancellationToken) is { } recorded)
        {
            log.LogInformation("Job {JobId} was already submitted as task {TaskId}", input.JobId, recorded);
            return new SubmitOutcome(recorded);
        }

        ValidatedJob job = input.Job;
        IReadOnlyList<string> urls;
        try
        {
            urls = await references.ResolveAsync(job.References, cancellationToken);
        }
        catch (ReferenceRejectedException ex)
        {
            return new SubmitOutcome(null, new JobError(ex.Code, ex.Message, "workflow"));
        }

        var request = new VideoSynthesisRequest(job.Model, job.Prompt, job.NegativePrompt, urls,
            job.Size, job.Duration, job.Audio, job.ShotType, job.Watermark, job.Seed);
        try
        {
            SubmittedTask task = await dashScope.SubmitAsync(request, cancellationToken);
            await ledger.RecordAsync(input.JobId, task.TaskId, cancellationToken);
            log.LogInformation("Job {JobId} submitted as task {TaskId} (request {RequestId})", input.JobId, task.TaskId, task.RequestId);
            return new SubmitOutcome(task.TaskId);
        }
        catch (DashScopeException ex) when (!ex.IsTransient)
        {
            log.LogWarning("Job {JobId} refused by the provider: {Code} (request {RequestId})", input.JobId, ex.Code, ex.RequestId);
            return new SubmitOutcome(null, new JobError(ex.Code, ex.ProviderMessage, "provider"));
        }
    }
}
