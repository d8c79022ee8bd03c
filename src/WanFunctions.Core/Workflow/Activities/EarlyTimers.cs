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

    /// <summary>
    /// Completes at <paramref name="notBefore"/> (UTC) or within a millisecond or two after it, at once when it is null or
    /// past, after at most <see cref="MaxWait"/>.
    /// </summary>
    public static Task WaitUntilAsync(DateTime? notBefore, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (notBefore is not { } at)
        {
            return Task.CompletedTask;
        }

        var wait = at - time.GetUtcNow().UtcDateTime;
        // Rounded up, plus a millisecond: the runtime's timers count whole milliseconds of a coarse clock and can fire
        // that much early, which would send a query planned for the video's end just before it.
        return wait <= TimeSpan.Zero ? Task.CompletedTask
            : Task.Delay(wait < MaxWait ? TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds) + 1) : MaxWait, time, cancellationToken);
    }
}
