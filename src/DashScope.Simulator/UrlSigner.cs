using System.Security.Cryptography;
using System.Text;

namespace DashScope.Simulator;

/// <summary>OSS-style signed result URLs: the signature covers the task id and the expiry, so neither can be altered.</summary>
public sealed class UrlSigner(SimulatorOptions options)
{
    public string BuildUrl(string baseUrl, string taskId, DateTimeOffset endTime)
    {
        var expires = (endTime + options.VideoUrlTtl).ToUnixTimeSeconds();
        return $"{baseUrl.TrimEnd('/')}/results/{Uri.EscapeDataString(taskId)}.mp4?Expires={expires}&Signature={Uri.EscapeDataString(Sign(taskId, expires))}";
    }

    public string Sign(string taskId, long expires)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.UrlSigningKey), Encoding.UTF8.GetBytes($"{taskId}\n{expires}"));
        return Convert.ToBase64String(mac);
    }

    public bool Verify(string taskId, long expires, string signature) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(taskId, expires)), Encoding.ASCII.GetBytes(signature));
}
