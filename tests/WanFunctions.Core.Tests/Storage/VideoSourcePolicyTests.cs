using Microsoft.Extensions.Options;
using WanFunctions.Storage;
using WanFunctions.Workflow;

namespace WanFunctions.Core.Tests.Storage;

public sealed class VideoSourcePolicyTests
{
    private static VideoSourcePolicy Policy(bool allowHttpLoopback = false, params string[] hosts)
    {
        var options = new ArchiveOptions { AllowHttpLoopback = allowHttpLoopback };
        if (hosts.Length > 0)
        {
            options.AllowedHosts = [.. hosts];
        }

        return new VideoSourcePolicy(Options.Create(options));
    }

    [Theory]
    [InlineData("https://dashscope-result-sh.oss-cn-shanghai.aliyuncs.com/1d/ab/video.mp4?Expires=1&Signature=x")]
    [InlineData("https://dashscope-result-sgp.oss-ap-southeast-1.aliyuncs.com/video.mp4")]
    public void The_providers_result_hosts_are_allowed_by_default(string url)
    {
        Policy().EnsureAllowed(new Uri(url));
    }

    [Theory]
    [InlineData("https://evil.example.com/video.mp4")]
    [InlineData("https://aliyuncs.com.evil.example.com/video.mp4")]
    [InlineData("https://notaliyuncs.com/video.mp4")]
    public void Other_hosts_are_refused_with_the_host_named(string url)
    {
        var error = Assert.Throws<ArchiveRejectedException>(() => Policy().EnsureAllowed(new Uri(url)));
        Assert.Contains(new Uri(url).Host, error.Message);
        Assert.Contains("Archive:AllowedHosts", error.Message);
    }

    [Fact]
    public void Plain_http_is_refused_even_from_an_allowed_host_and_the_signature_is_not_echoed()
    {
        var error = Assert.Throws<ArchiveRejectedException>(() =>
            Policy().EnsureAllowed(new Uri("http://dashscope-result-sh.oss-cn-shanghai.aliyuncs.com/v.mp4?Expires=1&Signature=secret")));
        Assert.Contains("not https", error.Message);
        Assert.DoesNotContain("secret", error.Message);
    }

    [Fact]
    public void Http_to_loopback_needs_the_local_switch()
    {
        var loopback = new Uri("http://127.0.0.1:5080/results/t.mp4");
        Assert.Throws<ArchiveRejectedException>(() => Policy(false, "127.0.0.1").EnsureAllowed(loopback));
        Policy(true, "127.0.0.1").EnsureAllowed(loopback);
    }

    [Fact]
    public void The_local_switch_does_not_open_http_to_other_hosts()
    {
        Assert.Throws<ArchiveRejectedException>(() =>
            Policy(true, "example.com").EnsureAllowed(new Uri("http://example.com/v.mp4")));
    }
}
