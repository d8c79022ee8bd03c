using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WanFunctions.Jobs;
using WanFunctions.Workflow;

namespace WanFunctions.Api;

/// <summary>What happened to a start request.</summary>
public sealed record StartJobOutcome(
    string? JobId,
    decimal? BilledSecondsUpperBound,
    IReadOnlyList<string> Warnings,
    IReadOnlyDictionary<string, string[]> Errors,
    bool AlreadyExisted)
{
    public bool Started => JobId is not null;
}

/// <summary>
/// Validates a job and starts its orchestration; shared by the HTTP and the blob starters.
/// Nothing starts unless the whole job is valid. With an idempotency key the job id is derived from the key,
/// so a repeated request finds the job it already started instead of paying twice.
/// </summary>
public sealed class JobStarter(JobValidator validator, IOptions<WorkflowOptions> workflow, TimeProvider time, ILogger<JobStarter> log)
{
    public async Task<StartJobOutcome> StartAsync(VideoJobRequest? request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        JobValidationResult validation = validator.Validate(request);
        if (!validation.IsValid)
        {
            return new StartJobOutcome(null, null, validation.Warnings, validation.Errors, false);
        }

        ValidatedJob job = validation.Job!;
        string jobId = request!.IdempotencyKey is { } key ? $"key-{key}" : Guid.NewGuid().ToString("N");
        if (request.IdempotencyKey is not null && await client.GetInstanceAsync(jobId, cancellationToken) is not null)
        {
            return new StartJobOutcome(jobId, job.BilledSecondsUpperBound, validation.Warnings, validation.Errors, AlreadyExisted: true);
        }

        var input = new VideoJobInput(jobId, job, time.GetUtcNow().UtcDateTime, workflow.Value.ToSchedule());
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(WorkflowNames.Orchestrator, input,
                new StartOrchestrationOptions(jobId), cancellationToken);
        }
        catch (Exception) when (request.IdempotencyKey is not null)
        {
            // Two requests with the same key may race: if the other one started the job, answer with it.
            if (await client.GetInstanceAsync(jobId, cancellationToken) is null)
            {
                throw;
            }

            return new StartJobOutcome(jobId, job.BilledSecondsUpperBound, validation.Warnings, validation.Errors, AlreadyExisted: true);
        }

        log.LogInformation("Job {JobId} started: model {Model}, {References} references, up to {Seconds} billed seconds",
            jobId, job.Model, job.References.Count, job.BilledSecondsUpperBound);
        return new StartJobOutcome(jobId, job.BilledSecondsUpperBound, validation.Warnings, validation.Errors, AlreadyExisted: false);
    }
}
