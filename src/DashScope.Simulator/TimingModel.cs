namespace DashScope.Simulator;

/// <summary>
/// What decides a task's generation time: model, resolution tier, output duration, audio and the number of video
/// references (the provider's job "class").
/// </summary>
public sealed record SimJobClass(string Model, string Size, int Duration, bool Audio, int VideoReferences)
{
    /// <summary>True for the 1080P tier (<c>1920*1080</c>, <c>1440*1440</c>, …); false for the 720P tier.</summary>
    public bool Is1080P => SubmitValidator.Sizes.Skip(5).Contains(Size);
}

/// <summary>
/// Plans each task's PENDING and RUNNING durations at submit time and derives the state from the clock
/// at query time, so no background work is needed and the outcome does not depend on polling frequency.
/// </summary>
/// <remarks>
/// The class model (the default): RUNNING is log-normal around the class median
/// (<see cref="MedianRunningSeconds"/>) with <see cref="SimulatorOptions.RunningSigma"/>, PENDING is uniform in
/// [0, <see cref="SimulatorOptions.MaxPendingSeconds"/>] from a separate random stream (a queue does not care about the
/// job), and the total is kept within [<see cref="SimulatorOptions.MinTotalSeconds"/>,
/// <see cref="SimulatorOptions.MaxTotalSeconds"/>] (the provider's "one to five minutes") by clamping RUNNING.
/// Fixed <see cref="SimulatorOptions.PendingSeconds"/>/<see cref="SimulatorOptions.RunningSeconds"/> and the
/// <c>[sim:pending=S]</c>/<c>[sim:running=S]</c> markers override either part.
/// </remarks>
public sealed class TimingModel(SimulatorOptions options)
{
    /// <summary>
    /// The class's median RUNNING time in simulated seconds:
    /// 60 × model (flash 1.0, wan2.6-r2v 1.3) × tier (720P 1.0, 1080P 1.4) × (0.7 + 0.06 × duration)
    /// × audio (1.1, silent 1.0) × (1 + 0.1 × video references). From 49 s (flash, 720P, 2 s, silent, images only)
    /// to 203 s (wan2.6-r2v, 1080P, 10 s, audio, 3 videos).
    /// </summary>
    public static double MedianRunningSeconds(SimJobClass job)
    {
        var model = job.Model == SubmitValidator.StandardModel ? 1.3 : 1.0;
        var tier = job.Is1080P ? 1.4 : 1.0;
        return 60 * model * tier * (0.7 + 0.06 * job.Duration) * (job.Audio ? 1.1 : 1.0) * (1 + 0.1 * job.VideoReferences);
    }

    public (TimeSpan Pending, TimeSpan Running) Plan(long sequence, SimJobClass job, FaultMarkers markers)
    {
        // Seeded per task and per stream: the same configuration and submission order give the same timings every
        // run, and the PENDING draw is independent of the RUNNING one.
        var runRng = new Random(unchecked(options.RandomSeed * 7919 + (int)sequence));
        var queueRng = new Random(unchecked(options.RandomSeed * 104729 + (int)sequence * 31 + 17));
        var pending = queueRng.NextDouble() * options.MaxPendingSeconds;
        var running = MedianRunningSeconds(job) * Math.Exp(options.RunningSigma * StandardNormal(runRng));
        running = Math.Clamp(running, Math.Max(0, options.MinTotalSeconds - pending), Math.Max(0, options.MaxTotalSeconds - pending));

        pending = markers.PendingSeconds ?? options.PendingSeconds ?? pending;
        running = markers.RunningSeconds ?? options.RunningSeconds ?? running;
        return (Scale(pending), Scale(running));
    }

    // Box–Muller: one standard normal draw from two uniforms (1 - u keeps the logarithm's argument above 0).
    private static double StandardNormal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

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
