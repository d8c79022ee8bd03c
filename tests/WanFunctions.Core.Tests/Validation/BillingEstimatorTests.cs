using WanFunctions.Jobs;

namespace WanFunctions.Core.Tests.Validation;

public class BillingEstimatorTests
{
    [Theory]
    [InlineData(1, "5")]
    [InlineData(2, "2.5")]
    [InlineData(3, "1.65")]
    [InlineData(4, "1.25")]
    [InlineData(5, "1")]
    public void Per_video_cap_follows_the_provider_table(int references, string expected)
    {
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), BillingEstimator.PerVideoCap(references));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void Per_video_cap_rejects_impossible_counts(int references)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BillingEstimator.PerVideoCap(references));
    }

    [Fact]
    public void Two_videos_and_an_image_for_10_seconds_bill_at_most_13_3()
    {
        Assert.Equal(13.3m, BillingEstimator.UpperBound(10, totalReferences: 3, videoReferences: 2));
    }

    [Fact]
    public void Validated_job_carries_the_estimate()
    {
        var result = Jobs.Validate(Jobs.With(Jobs.Video(1), Jobs.Video(2), Jobs.Image(3)) with { Duration = 10 });
        Jobs.AssertValid(result);
        Assert.Equal(13.3m, result.Job!.BilledSecondsUpperBound);
    }

    [Fact]
    public void One_video_adds_five_seconds()
    {
        var result = Jobs.Validate(Jobs.With(Jobs.Video()) with { Duration = 7 });
        Assert.Equal(12m, result.Job!.BilledSecondsUpperBound);
    }

    [Fact]
    public void Images_only_bill_the_output_duration()
    {
        var result = Jobs.Validate(Jobs.With(Jobs.Image(1), Jobs.Image(2)) with { Duration = 8 });
        Assert.Equal(8m, result.Job!.BilledSecondsUpperBound);
    }

    [Fact]
    public void Five_references_with_three_videos_use_one_second_each()
    {
        var result = Jobs.Validate(Jobs.With(Jobs.Video(1), Jobs.Video(2), Jobs.Video(3), Jobs.Image(4), Jobs.Image(5)));
        Assert.Equal(5m + 3m, result.Job!.BilledSecondsUpperBound);
    }
}
