using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WanFunctions.Jobs;
using WanFunctions.Storage;
using WanFunctions.Workflow;

namespace WanFunctions.Api;

/// <summary>Why a request with an idempotency key started nothing although the job is valid.</summary>
public enum IdempotencyConflict
{
    /// <summary>The key was first used for a different job (HTTP 422).</summary>
    DifferentJob,

    /// <summary>Another request with the key and the same job is still starting it (HTTP 409; retry shortly).</summary>
    StillStarting,
}

/// <summary>What happened to a start request.</summary>
public sealed record StartJobOutcome(
    string? JobId,
    decimal? BilledSecondsUpperBound,
    IReadOnlyList<string> Warnings,
    IReadOnlyDictionary<string, string[]> Errors,
    bool AlreadyExisted,
    IdempotencyConflict? Conflict = null)
{
    public bool Started => JobId is not null;
}

/// <summary>
/// Validates a job and starts its orchestration; shared by the HTTP and the blob starters.
/// Nothing starts unless the whole job is valid.
/// <para>
/// With an idempotency key (the IETF <c>Idempotency-Key</c> draft's semantics) the job id is <c>key-{key}</c>, and
/// the key is bound to the job's fingerprint (<see cref="Fingerprint"/>): the same key with the same job finds the
/// job it already started instead of paying twice; the same key with a different job is a
/// <see cref="IdempotencyConflict.DifferentJob"/>, never the old job. Concurrent requests with one key start one
/// job: an atomic record (<see cref="IIdempotencyRecords"/>) decides which request starts it, and the others wait
/// up to <see cref="StartWait"/> for it to appear.
/// </para>
/// </summary>
public sealed partial class JobStarter(
    JobValidator validator,
    IIdempotencyRecords records,
    IOptions<WorkflowOptions> workflow,
    TimeProvider time,
    ILogger<JobStarter> log,
    IOptions<Capacity.GateOptions>? gate = null,
    IOptions<DashScope.DashScopeOptions>? dashScope = null,
    Capacity.DoorAdmission? door = null)
{
    /// <summary>How long a request waits for the job that a concurrent request with the same key is starting.</summary>
    internal TimeSpan StartWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After this long without a job, the request that claimed a key is taken to have died between claiming and
    /// starting; the next request with the same job takes the claim over and starts it.
    /// </summary>
    internal TimeSpan AbandonedAfter { get; init; } = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan StartPollInterval = TimeSpan.FromMilliseconds(200);

    private static readonly JsonSerializerOptions CanonicalJson = new() { WriteIndented = false };

    /// <summary>Every status an instance can have: starting over an existing instance is refused, never a restart.</summary>
    private static readonly OrchestrationRuntimeStatus[] AllStatuses = [.. StartOrchestrationOptionsExtensions.ValidDedupeStatuses];

    public async Task<StartJobOutcome> StartAsync(VideoJobRequest? request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var validation = validator.Validate(request);
        if (!validation.IsValid)
        {
            return new StartJobOutcome(null, null, validation.Warnings, validation.Errors, false);
        }

        var job = validation.Job!;
        if (request!.IdempotencyKey is { } key)
        {
            return await StartOnceAsync(key, job, validation, client, cancellationToken);
        }

        var jobId = Guid.NewGuid().ToString("N");
        await ScheduleAsync(client, jobId, job, time.GetUtcNow(), cancellationToken);
        return Started(jobId, job, validation);
    }

    /// <summary>
    /// The SHA-256 (lowercase hex) of the validated job's canonical JSON: defaults filled in, names in contract
    /// order, no whitespace, so two requests that ask for the same job match however they were written.
    /// The billing estimate is left out (it follows from the rest).
    /// </summary>
    public static string Fingerprint(ValidatedJob job) =>
        Hashing.Sha256Hex(JsonSerializer.SerializeToUtf8Bytes(job with { BilledSecondsUpperBound = 0 }, CanonicalJson));

    private async Task<StartJobOutcome> StartOnceAsync(string key, ValidatedJob job, JobValidationResult validation, DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        var jobId = $"key-{key}";
        var fingerprint = Fingerprint(job);

        // The usual retry: the job exists, so compare with the job it was started with.
        if (await client.GetInstanceAsync(jobId, getInputsAndOutputs: true, cancellationToken) is { } existing)
        {
            return SameJob(existing, fingerprint) ? Replayed(jobId, job, validation) : Conflict(key, IdempotencyConflict.DifferentJob, validation);
        }

        var record = new IdempotencyRecord(jobId, fingerprint, time.GetUtcNow());
        var claimed = await records.TryCreateAsync(key, record, cancellationToken);
        if (claimed is null)
        {
            return await StartClaimedAsync(key, record, job, validation, client, cancellationToken);
        }

        if (claimed.Record.Fingerprint != fingerprint)
        {
            return Conflict(key, IdempotencyConflict.DifferentJob, validation);
        }

        // The request that claimed the key is starting the same job: answer with it once it exists.
        if (await WaitForInstanceAsync(client, jobId, cancellationToken))
        {
            return Replayed(jobId, job, validation);
        }

        if (time.GetUtcNow() - claimed.LastModified >= AbandonedAfter)
        {
            var takeover = claimed.Record with { AcceptedAt = time.GetUtcNow() };
            if (await records.TryReplaceAsync(key, claimed, takeover, cancellationToken))
            {
                LogClaimAbandoned(log, key, time.GetUtcNow() - claimed.LastModified);
                return await StartClaimedAsync(key, takeover, job, validation, client, cancellationToken);
            }
        }

        return Conflict(key, IdempotencyConflict.StillStarting, validation);
    }

    /// <summary>Starts the job of a key this request holds; on failure gives the key back so a retry can start it.</summary>
    private async Task<StartJobOutcome> StartClaimedAsync(string key, IdempotencyRecord record, ValidatedJob job, JobValidationResult validation,
        DurableTaskClient client, CancellationToken cancellationToken)
    {
        try
        {
            await ScheduleAsync(client, record.JobId, job, record.AcceptedAt, cancellationToken);
            return Started(record.JobId, job, validation);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // An instance without a record: started before records were kept (or the record aged out first).
            if (await client.GetInstanceAsync(record.JobId, getInputsAndOutputs: true, cancellationToken) is { } existing)
            {
                return SameJob(existing, record.Fingerprint) ? Replayed(record.JobId, job, validation) : Conflict(key, IdempotencyConflict.DifferentJob, validation);
            }

            await records.ReleaseAsync(key, record, CancellationToken.None);
            throw;
        }
    }

    private async Task ScheduleAsync(DurableTaskClient client, string jobId, ValidatedJob job, DateTimeOffset acceptedAt, CancellationToken cancellationToken)
    {
        var ticket = gate?.Value.Enabled == true ? Ticket(job, acceptedAt.UtcDateTime, gate.Value) : null;
        var waker = new Capacity.DurableClientJobWaker(client, log);
        if (ticket is not null && door is not null)
        {
            cancellationToken.ThrowIfCancellationRequested(); // a request already gone takes nothing at the door
            ticket = await door.AdmitAsync(jobId, ticket, waker);
        }

        var input = new VideoJobInput(jobId, job, acceptedAt.UtcDateTime, workflow.Value.ToSchedule(), Gate: ticket,
            MaxQueueTime: workflow.Value.MaxQueueTime);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(WorkflowNames.Orchestrator, input,
                new StartOrchestrationOptions(jobId).WithDedupeStatuses(AllStatuses), cancellationToken);
        }
        catch (Exception) when (ticket?.Admission is not null)
        {
            await door!.GiveBackAsync(client, jobId, ticket.Account!, waker);
            throw;
        }

        LogJobStarted(log, jobId, job.Model, job.References.Count, job.BilledSecondsUpperBound);
        if (ticket?.Admission is { Granted: false })
        {
            await door!.WakeIfGrantedMeanwhileAsync(jobId, ticket.Account!, waker);
        }
    }

    /// <summary>
    /// The job's gate ticket: its account when one account of the pool serves it, else the accounts that do, for the
    /// gate to pick from (<see cref="Capacity.AcquireCapacityActivity"/>).
    /// </summary>
    private Capacity.GateTicket Ticket(ValidatedJob job, DateTime acceptedAt, Capacity.GateOptions options)
    {
        var serving = dashScope?.Value.Pool.Where(a => ModelCatalog.Serves(a.Region, job)).Select(a => a.Name).ToList()
            ?? [Capacity.GateAccounts.Default];
        return new Capacity.GateTicket(serving.Count == 1 ? serving[0] : null, job.Priority, acceptedAt, workflow.Value.MaxQueueTime,
            options.ChecksPerGeneration, Candidates: serving.Count == 1 ? null : serving);
    }

    private async Task<bool> WaitForInstanceAsync(DurableTaskClient client, string jobId, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + StartWait;
        while (true)
        {
            if (await client.GetInstanceAsync(jobId, getInputsAndOutputs: false, cancellationToken) is not null)
            {
                return true;
            }

            if (time.GetUtcNow() >= until)
            {
                return false;
            }

            await Task.Delay(StartPollInterval, time, cancellationToken);
        }
    }

    /// <summary>Whether an instance was started with the job that has <paramref name="fingerprint"/> (false if its input is unreadable).</summary>
    private static bool SameJob(OrchestrationMetadata instance, string fingerprint)
    {
        try
        {
            return instance.SerializedInput is { Length: > 0 } json
                && JsonSerializer.Deserialize<VideoJobInput>(json, ApiJson.DurableReadOptions)?.Job is { } started
                && Fingerprint(started) == fingerprint;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static StartJobOutcome Started(string jobId, ValidatedJob job, JobValidationResult validation) =>
        new(jobId, job.BilledSecondsUpperBound, validation.Warnings, validation.Errors, AlreadyExisted: false);

    private static StartJobOutcome Replayed(string jobId, ValidatedJob job, JobValidationResult validation) =>
        new(jobId, job.BilledSecondsUpperBound, validation.Warnings, validation.Errors, AlreadyExisted: true);

    private static StartJobOutcome Conflict(string key, IdempotencyConflict conflict, JobValidationResult validation) =>
        new(null, null, validation.Warnings, new Dictionary<string, string[]>
        {
            ["idempotencyKey"] = [conflict == IdempotencyConflict.DifferentJob
                ? $"Idempotency key '{key}' was already used for a different job. Send the same job to get the job it started, or use a new key for a new job."
                : $"A request with idempotency key '{key}' is still starting this job. Retry in a moment to get its id."],
        }, AlreadyExisted: false, conflict);
}

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class JobStarter
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Idempotency key {Key} was claimed {Since} ago but its job never started; starting it now")]
    private static partial void LogClaimAbandoned(ILogger logger, string key, TimeSpan since);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} started: model {Model}, {References} references, up to {Seconds} billed seconds")]
    private static partial void LogJobStarted(ILogger logger, string jobId, string model, int references, decimal seconds);
}
