using System.ComponentModel.DataAnnotations;
using WanFunctions.Jobs;

namespace WanFunctions.Storage;

/// <summary>Where and from where finished videos are archived (section "Archive").</summary>
public sealed class ArchiveOptions
{
    public const string SectionName = "Archive";

    [Required, ContainerName(ErrorMessage = "Archive:Container must be a valid container name.")]
    public string Container { get; set; } = "videos";

    /// <summary>
    /// Hosts a video may be downloaded from: exact names or "*.suffix". The default is the provider's result hosts
    /// (dashscope-result-*.oss-*.aliyuncs.com). Anything else fails the job rather than fetching an arbitrary URL.
    /// </summary>
    [MinLength(1)]
    public List<string> AllowedHosts { get; set; } = ["*.aliyuncs.com"];

    /// <summary>Allow plain http to loopback hosts: for the local simulator only, never in Azure.</summary>
    public bool AllowHttpLoopback { get; set; }

    /// <summary>
    /// How long the video download may go without receiving a byte. HttpClient.Timeout ends at the response headers,
    /// so a result host that stalls mid-body would otherwise hang the archive for ever; past this, the attempt fails
    /// with a <see cref="TimeoutException"/> and the orchestration's archive retry policy tries again.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DownloadIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest one archive attempt's download and upload may take, however steadily bytes arrive; past this,
    /// the attempt fails with a <see cref="TimeoutException"/> and is retried like a stalled one.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
