using System.Text.Json.Serialization;

namespace WanFunctions.Capacity;

// Records that cross the durable boundary for the gate. Explicit JSON names, like WorkflowContracts.

/// <summary>
/// A job's ticket for the gate, in the orchestration's input: its account, priority (<c>high</c>, <c>normal</c>,
/// <c>low</c>), when it first queued, how long it may wait (<c>Workflow:MaxQueueTime</c>, copied at start), and the
/// gate checks made in this generation (<see cref="Checks"/>; at <see cref="ChecksPerGeneration"/> it continues as new).
/// Null in the input when the gate is off (or for a job started before the gate existed). <see cref="Account"/> is null
/// until the gate places the job on one of <see cref="Candidates"/> (the pool accounts that serve the job; null: all).
/// <see cref="Admission"/>: the gate's answer when the job was posted (the starter asked it): a slot, or a place in the
/// queue. The job's first round takes it instead of asking the gate again (a slot only while half its lease is left). Null when
/// the starter could not ask, and once used.
/// </summary>
public sealed record GateTicket(
    [property: JsonPropertyName("account")] string? Account,
    [property: JsonPropertyName("priority")] string Priority,
    [property: JsonPropertyName("queuedSince")] DateTime QueuedSince,
    [property: JsonPropertyName("maxQueueTime")] TimeSpan MaxQueueTime,
    [property: JsonPropertyName("checksPerGeneration")] int ChecksPerGeneration = 100,
    [property: JsonPropertyName("checks")] int Checks = 0,
    [property: JsonPropertyName("candidates")] IReadOnlyList<string>? Candidates = null,
    [property: JsonPropertyName("admission")] CapacityAnswer? Admission = null)
{
    /// <summary>The gate request this ticket makes for <paramref name="jobId"/>.</summary>
    public CapacityRequest RequestFor(string jobId) => new(Account, jobId, Priority, QueuedSince, Account is null ? Candidates : null);
}

/// <summary>
/// The input of every capacity activity: whose slot, in which account. <see cref="Account"/> null (AcquireCapacity
/// only): the job is not placed yet, and the gate picks one of <see cref="Candidates"/> (null: every account).
/// </summary>
public sealed record CapacityRequest(
    [property: JsonPropertyName("account")] string? Account,
    [property: JsonPropertyName("jobId")] string JobId,
    [property: JsonPropertyName("priority")] string Priority,
    [property: JsonPropertyName("queuedSince")] DateTime QueuedSince,
    [property: JsonPropertyName("candidates")] IReadOnlyList<string>? Candidates = null);

/// <summary>
/// The gate's answer. Granted: the slot is the job's until <see cref="LeaseUntil"/> (renewed while it polls), and it
/// submits at <see cref="SubmitAt"/> (spacing to MaxSubmitsPerSecond). Queued: its 1-based <see cref="Position"/>,
/// an <see cref="EstimatedStartAt"/>, and when to look again at the latest (<see cref="RetryAt"/>). Either way in
/// <see cref="Account"/>, which the job keeps from then on.
/// </summary>
public sealed record CapacityAnswer(
    [property: JsonPropertyName("granted")] bool Granted,
    [property: JsonPropertyName("leaseUntil")] DateTime? LeaseUntil = null,
    [property: JsonPropertyName("submitAt")] DateTime? SubmitAt = null,
    [property: JsonPropertyName("position")] int? Position = null,
    [property: JsonPropertyName("estimatedStartAt")] DateTime? EstimatedStartAt = null,
    [property: JsonPropertyName("retryAt")] DateTime? RetryAt = null,
    [property: JsonPropertyName("effectiveLimit")] int EffectiveLimit = 0,
    [property: JsonPropertyName("account")] string? Account = null);

/// <summary>What <c>GET /api/gate</c> shows per account: limits, holders and the queue in order.</summary>
public sealed record GateView(
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("maxConcurrentTasks")] int MaxConcurrentTasks,
    [property: JsonPropertyName("maxSubmitsPerSecond")] int MaxSubmitsPerSecond,
    [property: JsonPropertyName("effectiveLimit")] int EffectiveLimit,
    [property: JsonPropertyName("lastThrottledAt")] DateTime? LastThrottledAt,
    [property: JsonPropertyName("holders")] IReadOnlyList<GateHolder> Holders,
    [property: JsonPropertyName("queued")] IReadOnlyList<GateWaiter> Queued);
