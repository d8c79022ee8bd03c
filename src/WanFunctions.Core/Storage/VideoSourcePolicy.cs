using System.Net;
using Microsoft.Extensions.Options;
using WanFunctions.DashScope;
using WanFunctions.Workflow;

namespace WanFunctions.Storage;

/// <summary>Decides whether a provider video URL may be downloaded: https, from an allowed host.</summary>
public sealed class VideoSourcePolicy(IOptions<ArchiveOptions> options)
{
    public void EnsureAllowed(Uri url)
    {
        var o = options.Value;
        var loopback = url.IsLoopback || (IPAddress.TryParse(url.Host, out var ip) && IPAddress.IsLoopback(ip));
        var schemeOk = url.Scheme == Uri.UriSchemeHttps || (o.AllowHttpLoopback && loopback && url.Scheme == Uri.UriSchemeHttp);
        if (!schemeOk)
        {
            throw new ArchiveRejectedException($"The video URL {UrlRedactor.Redact(url.ToString())} is not https; refusing to download it.");
        }

        if (!o.AllowedHosts.Any(pattern => HostMatches(url.Host, pattern)))
        {
            throw new ArchiveRejectedException(
                $"The video host '{url.Host}' is not in Archive:AllowedHosts ({string.Join(", ", o.AllowedHosts)}); refusing to download it.");
        }
    }

    private static bool HostMatches(string host, string pattern) => pattern.StartsWith("*.", StringComparison.Ordinal)
        ? host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase)
        : string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase);
}
