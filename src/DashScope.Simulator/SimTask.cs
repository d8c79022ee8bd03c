namespace DashScope.Simulator;

/// <summary>One submitted task. Immutable plan plus a few counters; its state is derived from the clock, not stored.</summary>
public sealed class SimTask
{
    public required string Id { get; init; }
    public required long Sequence { get; init; }
    /// <summary>The label of the account whose key created the task: only that key sees it.</summary>
    public string Account { get; init; } = SimulatorOptions.DefaultAccount;
    public required string RequestId { get; init; }
    public required string Model { get; init; }
    public required string Prompt { get; init; }
    public required string Size { get; init; }
    public required int Duration { get; init; }
    /// <summary>Whether the result video has an audio track (<c>parameters.audio</c>, default true).</summary>
    public bool Audio { get; init; } = true;
    public required int ReferenceCount { get; init; }
    public required int VideoReferenceCount { get; init; }
    public required DateTimeOffset SubmitTime { get; init; }
    public required TimeSpan PendingDuration { get; init; }
    public required TimeSpan RunningDuration { get; init; }
    public required FaultMarkers Markers { get; init; }
    /// <summary>Final failure code (from a marker or FailEveryNthTask); null means the task succeeds.</summary>
    public string? FailCode { get; init; }
    public string? FailMessage { get; init; }

    // Stored as ticks so lock-free readers never see a torn DateTimeOffset.
    private long _canceledUtcTicks;

    public DateTimeOffset? CanceledAt =>
        Volatile.Read(ref _canceledUtcTicks) is var t and not 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    internal void MarkCanceled(DateTimeOffset at) => Volatile.Write(ref _canceledUtcTicks, at.UtcTicks);

    private int _queries;
    private int _downloads;

    /// <summary>1-based number of this query; drives the counted query faults.</summary>
    internal int NextQueryNumber() => Interlocked.Increment(ref _queries);

    internal int QueriesSoFar => Volatile.Read(ref _queries);

    internal int NextDownloadNumber() => Interlocked.Increment(ref _downloads);
}

public enum SimTaskStatus { PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED, UNKNOWN }

/// <summary>A task's state at one instant. <see cref="UnlistedState"/> replaces the reported status string (<c>[sim:state=…]</c>).</summary>
public sealed record TaskSnapshot(SimTaskStatus Status, DateTimeOffset? ScheduledTime, DateTimeOffset? EndTime, string? UnlistedState = null)
{
    public bool IsActive => Status is SimTaskStatus.PENDING or SimTaskStatus.RUNNING;

    /// <summary>The <c>task_status</c> / <c>status</c> string the API reports.</summary>
    public string Reported => UnlistedState ?? Status.ToString();
}
