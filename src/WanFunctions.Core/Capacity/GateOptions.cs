using System.ComponentModel.DataAnnotations;

namespace WanFunctions.Capacity;

/// <summary>
/// The capacity gate's mechanics (section "Gate"). The limits themselves belong to the account
/// (<see cref="WanFunctions.DashScope.DashScopeOptions.MaxConcurrentTasks"/>, <c>MaxSubmitsPerSecond</c>).
/// </summary>
public sealed class GateOptions
{
    public const string SectionName = "Gate";

    /// <summary>Off: jobs submit at once and retry a 429 with back-off, as before the gate (the bench's comparison).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How long a slot (or a place in the queue) stays a job's without a sign of life. A live job renews it while it
    /// polls, a waiting job on every re-check; a job that is gone (terminated, purged, its worker killed) loses it at
    /// most this long after its last renewal.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>After a 429 despite the gate, the effective limit grows back by one per interval without another 429.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A waiting job looks at the gate again after at most this long even without a wake event (a lost event costs
    /// no more than this); each job after between 55 % and all of it, by its arrival, so jobs queued together do not
    /// look again together. Must be well below <see cref="LeaseDuration"/>, since the re-check renews the queue place.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan MaxRecheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Re-checks before a waiting orchestration continues as new, which bounds its history on long waits.</summary>
    [Range(1, 1000)]
    public int ChecksPerGeneration { get; set; } = 100;
}

/// <summary>Cross-field rules of <see cref="GateOptions"/>.</summary>
public sealed class GateOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<GateOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, GateOptions options) =>
        options.MaxRecheckInterval * 2 > options.LeaseDuration
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(
                $"Gate:MaxRecheckInterval ({options.MaxRecheckInterval}) must be at most half of Gate:LeaseDuration ({options.LeaseDuration}): a waiting job renews its place on each re-check.")
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
