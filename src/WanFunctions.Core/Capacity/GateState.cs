using System.Text.Json.Serialization;

namespace WanFunctions.Capacity;

/// <summary>
/// One account's gate, stored as one JSON blob (<c>{state container}/gates/{account}.json</c>) and changed only by the
/// capacity activities, each a read-modify-write under the blob's ETag. Times are UTC.
/// </summary>
public sealed class GateState
{
    [JsonPropertyName("account")] public string Account { get; set; } = GateAccounts.Default;

    /// <summary>Jobs that hold a slot: granted, submitting or with a provider task that has not ended.</summary>
    [JsonPropertyName("holders")] public List<GateHolder> Holders { get; set; } = [];

    /// <summary>Jobs waiting for a slot, in no particular order (<see cref="CapacityGate"/> orders them).</summary>
    [JsonPropertyName("queue")] public List<GateWaiter> Queue { get; set; } = [];

    [JsonPropertyName("nextSeq")] public long NextSeq { get; set; } = 1;

    /// <summary>The submit times handed to the last grants (at most MaxSubmitsPerSecond of them), oldest first.</summary>
    [JsonPropertyName("recentSubmits")] public List<DateTime> RecentSubmits { get; set; } = [];

    /// <summary>The limit in force (AIMD); 0 until the first operation sets it to the account's MaxConcurrentTasks.</summary>
    [JsonPropertyName("effectiveLimit")] public int EffectiveLimit { get; set; }

    [JsonPropertyName("lastThrottledAt")] public DateTime? LastThrottledAt { get; set; }

    [JsonPropertyName("lastIncreaseAt")] public DateTime? LastIncreaseAt { get; set; }

    /// <summary>Moving average of how long a slot is held, in seconds (for the estimated start of waiting jobs).</summary>
    [JsonPropertyName("averageHoldSeconds")] public double AverageHoldSeconds { get; set; }
}

/// <summary>A slot's holder. <see cref="SubmitAt"/> spaces submits to MaxSubmitsPerSecond.</summary>
public sealed record GateHolder(
    [property: JsonPropertyName("jobId")] string JobId,
    [property: JsonPropertyName("priority")] string Priority,
    [property: JsonPropertyName("queuedSince")] DateTime QueuedSince,
    [property: JsonPropertyName("grantedAt")] DateTime GrantedAt,
    [property: JsonPropertyName("submitAt")] DateTime SubmitAt,
    [property: JsonPropertyName("leaseUntil")] DateTime LeaseUntil);

/// <summary>
/// A waiting job. The queue is ordered by priority, then <see cref="QueuedSince"/> (the job's own first queueing time,
/// so a job that lost its place, e.g. to a 429 or a long outage, gets it back), then <see cref="Seq"/>.
/// </summary>
public sealed record GateWaiter(
    [property: JsonPropertyName("jobId")] string JobId,
    [property: JsonPropertyName("priority")] string Priority,
    [property: JsonPropertyName("queuedSince")] DateTime QueuedSince,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("leaseUntil")] DateTime LeaseUntil);

/// <summary>The limits of one account.</summary>
public sealed record AccountLimits(int MaxConcurrentTasks, int MaxSubmitsPerSecond);

/// <summary>Account names. The single <c>DashScope:ApiKey</c> is the account "default".</summary>
public static class GateAccounts
{
    public const string Default = WanFunctions.DashScope.DashScopeAccount.DefaultName;
}
