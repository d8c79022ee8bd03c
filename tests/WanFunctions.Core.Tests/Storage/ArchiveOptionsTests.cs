using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WanFunctions.Core.Tests.Workflow;
using WanFunctions.Storage;

namespace WanFunctions.Core.Tests.Storage;

/// <summary>The archive's time limits at their bounds: accepted at start-up, or refused naming the setting.</summary>
public class ArchiveOptionsTests
{
    [Fact]
    public void Defaults_are_a_minute_without_a_byte_and_ten_minutes_per_attempt()
    {
        Assert.Equal(TimeSpan.FromSeconds(60), new ArchiveOptions().DownloadIdleTimeout);
        Assert.Equal(TimeSpan.FromMinutes(10), new ArchiveOptions().AttemptTimeout);
    }

    [Theory]
    [InlineData("DownloadIdleTimeout=00:00:01")]
    [InlineData("DownloadIdleTimeout=01:00:00")]
    [InlineData("AttemptTimeout=00:00:01")]
    [InlineData("AttemptTimeout=1.00:00:00")]
    public void Limits_within_range_are_accepted(string setting)
    {
        using var provider = WorkflowOptionsBoundaryTests.Build([setting], ArchiveOptions.SectionName);
        WorkflowOptionsBoundaryTests.ValidateAtStart(provider);
    }

    [Theory]
    [InlineData("DownloadIdleTimeout", "DownloadIdleTimeout=00:00:00.9999999")]
    [InlineData("DownloadIdleTimeout", "DownloadIdleTimeout=01:00:00.0000001")]
    [InlineData("AttemptTimeout", "AttemptTimeout=00:00:00.9999999")]
    [InlineData("AttemptTimeout", "AttemptTimeout=1.00:00:00.0000001")]
    public void Limits_out_of_range_stop_the_start_naming_the_setting(string name, string setting)
    {
        using var provider = WorkflowOptionsBoundaryTests.Build([setting], ArchiveOptions.SectionName);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ArchiveOptions>>().Value);
        Assert.Contains(ex.Failures, failure => failure.Contains(name, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("videos-2025")]
    [InlineData("a23456789012345678901234567890123456789012345678901234567890123")] // 63 characters
    public void Valid_container_names_are_accepted(string container)
    {
        using var provider = WorkflowOptionsBoundaryTests.Build([$"Container={container}"], ArchiveOptions.SectionName);
        WorkflowOptionsBoundaryTests.ValidateAtStart(provider);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")] // 64 characters
    [InlineData("Videos")]
    [InlineData("vid_eos")]
    [InlineData("-videos")]
    [InlineData("videos-")]
    [InlineData("vi--deos")]
    [InlineData("videos\n")]
    public void Invalid_container_names_stop_the_start_naming_the_setting(string container)
    {
        using var provider = WorkflowOptionsBoundaryTests.Build([$"Container={container}"], ArchiveOptions.SectionName);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ArchiveOptions>>().Value);
        Assert.Contains("Archive:Container must be a valid container name.", Assert.Single(ex.Failures), StringComparison.Ordinal);
    }
}
