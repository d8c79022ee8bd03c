namespace WanFunctions.Workflow.Activities;

/// <summary>
/// Durable timers on the Azure Storage backend fire up to about a second early. An activity scheduled by a timer that
/// must not act before the timer's moment (a query planned for when the video should be done, a submit spaced to the
/// account's submit rate) waits out the rest itself, at most <see cref="MaxWait"/>: a precise in-process delay.
/// </summary>
public static class EarlyTimers
{
    /// <summary>The longest an activity waits for its moment (longer: the activity goes ahead, as before).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(2);

    /// <summary>Completes at <paramref name="notBefore"/> (UTC), at once when it is null or past, after at most <see cref="MaxWait"/>.</summary>
    public static Task WaitUntilAsync(DateTime? notBefore, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (notBefore is not { } at)
        {
            return Task.CompletedTask;
        }

        var wait = at - time.GetUtcNow().UtcDateTime;
        return wait <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait < MaxWait ? wait : MaxWait, time, cancellationToken);
    }
}
