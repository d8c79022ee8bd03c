namespace WanFunctions.Workflow;

/// <summary>
/// The polling schedule. The first look comes near the expected generation time (generation usually takes
/// one to five minutes), then every <see cref="PollingSchedule.PollInterval"/> (the provider suggests 15 s),
/// growing by <see cref="PollingSchedule.BackoffFactor"/> to <see cref="PollingSchedule.MaxPollInterval"/>.
/// With the defaults (45 s, 15 s × 1.5 up to 60 s, 30 min deadline) a job makes at most about 32 queries,
/// where the provider's SDKs would make several hundred.
/// </summary>
public static class PollDelays
{
    public static TimeSpan Next(PollingSchedule schedule, int pollsSoFar)
    {
        if (pollsSoFar == 0)
        {
            return schedule.FirstPollDelay;
        }

        var seconds = schedule.PollInterval.TotalSeconds * Math.Pow(schedule.BackoffFactor, pollsSoFar - 1);
        return seconds >= schedule.MaxPollInterval.TotalSeconds ? schedule.MaxPollInterval : TimeSpan.FromSeconds(seconds);
    }
}
