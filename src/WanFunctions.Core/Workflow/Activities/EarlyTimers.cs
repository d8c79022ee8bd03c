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
    public static async Task WaitUntilAsync(DateTime? notBefore, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (notBefore is not { } at)
        {
            return;
        }

        var now = time.GetUtcNow().UtcDateTime;
        var until = at - now < MaxWait ? at : now + MaxWait;
        // The runtime's timers count a coarse clock (a few milliseconds on Linux) and can fire that much early, which
        // would send a query planned for the video's end just before it: the rest is waited again, a few rounds at most.
        for (var round = 0; round < 4; round++)
        {
            var wait = until - time.GetUtcNow().UtcDateTime;
            if (wait <= TimeSpan.Zero)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds)), time, cancellationToken);
        }
    }
}
