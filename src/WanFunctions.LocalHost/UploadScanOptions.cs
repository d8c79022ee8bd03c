using System.ComponentModel.DataAnnotations;

namespace WanFunctions.LocalHost;

/// <summary>
/// The local host's scanner of the references container (section "UploadScan"), its stand-in for the Functions
/// app's Event Grid blob trigger, which Azurite cannot drive.
/// </summary>
public sealed class UploadScanOptions
{
    public const string SectionName = "UploadScan";

    public bool Enabled { get; set; } = true;

    /// <summary>Time between two listings of the container.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How far behind the cursor (the newest Last-Modified handled) a scan looks again: a blob committed while a
    /// listing ran can carry an older time than one listed after it. Blobs seen again are handed to the starter
    /// once more, whose job id per name + ETag makes that start nothing.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan Overlap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Blobs per listing page (memory stays bounded for large containers).</summary>
    [Range(1, 5000)]
    public int PageSize { get; set; } = 500;
}
