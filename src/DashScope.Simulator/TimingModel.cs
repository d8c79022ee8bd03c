namespace DashScope.Simulator;

/// <summary>
/// Plans each task's PENDING and RUNNING durations at submit time and derives the state from the clock
/// at query time, so no background work is needed and the outcome does not depend on polling frequency.
/// </summary>
public sealed class TimingModel(SimulatorOptions options)
{
    public (TimeSpan Pending, TimeSpan Running) Plan(long sequence, FaultMarkers markers)
    {
        // Seeded per task: the same configuration and submission order give the same timings every run.
        var rng = new Random(unchecked(options.RandomSeed * 7919 + (int)sequence));
        var total = options.MinTotalSeconds + rng.NextDouble() * (options.MaxTotalSeconds - options.MinTotalSeconds);
        var pendingShare = 0.05 + rng.NextDouble() * 0.20; // queues are short compared with generation
        var pending = options.PendingSeconds ?? total * pendingShare;
        var running = options.RunningSeconds ?? total * (1 - pendingShare);
        pending = markers.PendingSeconds ?? pending;
        running = markers.RunningSeconds ?? running;
        return (Scale(pending), Scale(running));
    }

    private TimeSpan Scale(double simulatedSeconds) => TimeSpan.FromSeconds(simulatedSeconds * options.SpeedFactor);

    public TaskSnapshot StateAt(SimTask task, DateTimeOffset now)
    {
        if (now - task.SubmitTime >= options.TaskTtl)
        {
            return new(SimTaskStatus.UNKNOWN, null, null);
        }

        if (task.CanceledAt is { } canceled)
        {
            return new(SimTaskStatus.CANCELED, null, canceled);
        }

        var elapsed = now - task.SubmitTime;
        if (task.Markers.PendingForever || elapsed < task.PendingDuration)
        {
            return new(SimTaskStatus.PENDING, null, null);
        }

        var scheduled = task.SubmitTime + task.PendingDuration;
        if (elapsed < task.PendingDuration + task.RunningDuration)
        {
            // [sim:state=X]: the first half of RUNNING reads X, as the provider's other async APIs report PRE-PROCESSING.
            var unlisted = elapsed < task.PendingDuration + task.RunningDuration / 2 ? task.Markers.UnlistedState : null;
            return new(SimTaskStatus.RUNNING, scheduled, null, unlisted);
        }

        var end = scheduled + task.RunningDuration;
        if (task.Markers.Unknown)
        {
            return new(SimTaskStatus.UNKNOWN, null, null);
        }

        return task.FailCode is not null
            ? new(SimTaskStatus.FAILED, scheduled, end)
            : new(SimTaskStatus.SUCCEEDED, scheduled, end);
    }
}
