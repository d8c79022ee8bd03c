using System.ComponentModel.DataAnnotations;

namespace WanFunctions.LocalHost;

/// <summary>The durable backend (section "DurableTask"): Azure Storage, the default backend of Durable Functions.</summary>
public sealed class DurableBackendOptions
{
    public const string SectionName = "DurableTask";

    [Required, RegularExpression("^[A-Za-z][A-Za-z0-9]{2,44}$", ErrorMessage = "DurableTask:TaskHub must be 3-45 letters and digits, starting with a letter.")]
    public string TaskHub { get; set; } = "wanfunctions";

    /// <summary>Azurite only. In Azure leave it empty and set <see cref="StorageAccountName"/> (managed identity).</summary>
    public string? StorageConnectionString { get; set; }

    public string? StorageAccountName { get; set; }

    /// <summary>Stable across restarts, so a restarted worker takes its partitions back at once instead of waiting out the lease.</summary>
    [Required]
    public string WorkerId { get; set; } = Environment.MachineName;

    [Range(1, 16)]
    public int PartitionCount { get; set; } = 4;

    /// <summary>How long an idle worker waits between queue polls at most; short locally, longer saves storage transactions.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:01:00")]
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a worker's lease on a partition lasts without renewal (blob leases: 15–60 s). A worker that dies keeps its
    /// partitions, and the orchestrations in them, from the other workers for up to this long (plus one acquire round).
    /// Renewal and the look for free or unbalanced partitions run every third of it, as with the backend's 30/10/10 s defaults.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:15", "00:01:00")]
    public TimeSpan LeaseInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a message taken by a worker stays hidden from the others. A worker that dies mid-activity
    /// delays that activity by this much; keep it above the longest activity (the archive of a large video).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan MessageVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
