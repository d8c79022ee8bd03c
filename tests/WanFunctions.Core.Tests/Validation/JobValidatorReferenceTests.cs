using WanFunctions.DashScope;
using WanFunctions.Jobs;

namespace WanFunctions.Core.Tests.Validation;

public class JobValidatorReferenceTests
{
    private static JobValidationResult ValidateOne(JobReference reference, DashScopeRegion region = DashScopeRegion.International) =>
        Jobs.Validate(Jobs.With(reference), region);

    [Fact]
    public void References_are_required()
    {
        Jobs.AssertError(Jobs.Validate(Jobs.Valid() with { References = null }), "references");
        Jobs.AssertError(Jobs.Validate(Jobs.Valid() with { References = [] }), "references");
    }

    [Fact]
    public void Five_references_are_accepted_six_are_not()
    {
        Jobs.AssertValid(Jobs.Validate(Jobs.With(Jobs.Image(1), Jobs.Image(2), Jobs.Image(3), Jobs.Image(4), Jobs.Image(5))));
        var six = Jobs.Validate(Jobs.With(Jobs.Image(1), Jobs.Image(2), Jobs.Image(3), Jobs.Image(4), Jobs.Image(5), Jobs.Image(6)));
        Assert.Contains("At most 5", Assert.Single(Jobs.AssertError(six, "references")));
    }

    [Fact]
    public void Three_videos_are_accepted_four_are_not()
    {
        Jobs.AssertValid(Jobs.Validate(Jobs.With(Jobs.Video(1), Jobs.Video(2), Jobs.Video(3), Jobs.Image(4))));
        var four = Jobs.Validate(Jobs.With(Jobs.Video(1), Jobs.Video(2), Jobs.Video(3), Jobs.Video(4)));
        Assert.Contains("3", Assert.Single(Jobs.AssertError(four, "references")));
    }

    [Fact]
    public void Null_reference_is_an_error()
    {
        Jobs.AssertError(Jobs.Validate(Jobs.With(Jobs.Video(), null)), "references[1]");
    }

    [Fact]
    public void Reference_needs_exactly_one_of_url_and_blob()
    {
        Jobs.AssertError(ValidateOne(new JobReference()), "references[0]");
        Jobs.AssertError(ValidateOne(new JobReference { Url = " ", Blob = "" }), "references[0]");
        Assert.Contains("not both",
            Assert.Single(Jobs.AssertError(ValidateOne(new JobReference { Url = "https://e.com/a.mp4", Blob = "refs/a.mp4" }), "references[0]")));
    }

    [Theory]
    [InlineData("https://example.com/a.mp4")]
    [InlineData("http://example.com/a.mp4")]
    [InlineData("HTTPS://EXAMPLE.COM/A.MP4")]
    [InlineData("https://example.com:8443/dir/a.mp4?sig=abc&x=.png#frag")]
    public void Http_and_https_urls_are_accepted(string url)
    {
        var result = ValidateOne(new JobReference { Url = url });
        Jobs.AssertValid(result);
        Assert.Equal(ReferenceKind.Video, result.Job!.References[0].Kind);
    }

    [Theory]
    [InlineData("ftp://example.com/a.mp4")]
    [InlineData("file:///tmp/a.mp4")]
    [InlineData("oss://bucket/a.mp4")]
    [InlineData("data:video/mp4;base64,AAAA")]
    [InlineData("//example.com/a.mp4")]
    [InlineData("/a.mp4")]
    [InlineData("a.mp4")]
    [InlineData("https://")]
    public void Other_urls_are_rejected(string url)
    {
        var result = ValidateOne(new JobReference { Url = url, Kind = "video" });
        Assert.Contains("http or https", Assert.Single(Jobs.AssertError(result, "references[0].url")));
        Assert.False(result.Errors.ContainsKey("references[0].kind"));
    }

    [Theory]
    [InlineData("refs/a.mp4")]
    [InlineData("my-container-01/deep/folder/a.mov")]
    [InlineData("abc/a.mp4")]
    [InlineData("a23456789012345678901234567890123456789012345678901234567890123/a.mp4")]
    [InlineData("refs/..a/b..c/a.mp4")]
    public void Valid_blob_names_are_accepted(string blob)
    {
        var result = ValidateOne(new JobReference { Blob = blob });
        Jobs.AssertValid(result);
        Assert.Equal(new ValidatedReference(null, blob, ReferenceKind.Video), result.Job!.References[0]);
    }

    [Theory]
    [InlineData("a.mp4")] // no container
    [InlineData("ab/a.mp4")] // container too short
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234/a.mp4")] // 64 chars
    [InlineData("Refs/a.mp4")] // uppercase
    [InlineData("re_fs/a.mp4")]
    [InlineData("-refs/a.mp4")]
    [InlineData("refs-/a.mp4")]
    [InlineData("re--fs/a.mp4")]
    [InlineData("refs/")] // empty path
    [InlineData("/refs/a.mp4")]
    [InlineData("refs/../secret/a.mp4")]
    [InlineData("refs/a/../../b.mp4")]
    [InlineData("refs/..")]
    [InlineData("refs/a\\..\\b.mp4")]
    public void Invalid_blob_names_are_rejected(string blob)
    {
        Jobs.AssertError(ValidateOne(new JobReference { Blob = blob }), "references[0].blob");
    }

    [Theory]
    [InlineData("https://e.com/a.mp4", ReferenceKind.Video)]
    [InlineData("https://e.com/a.MOV", ReferenceKind.Video)]
    [InlineData("https://e.com/a.jpg", ReferenceKind.Image)]
    [InlineData("https://e.com/a.JPEG", ReferenceKind.Image)]
    [InlineData("https://e.com/a.png?v=1.mp4", ReferenceKind.Image)]
    [InlineData("https://e.com/x.mp4/a.bmp", ReferenceKind.Image)]
    [InlineData("https://e.com/a.WebP", ReferenceKind.Image)]
    public void Kind_is_inferred_from_the_url_path(string url, ReferenceKind expected)
    {
        var result = ValidateOne(new JobReference { Url = url });
        Jobs.AssertValid(result);
        Assert.Equal(expected, result.Job!.References[0].Kind);
    }

    [Theory]
    [InlineData("refs/a.mp4", ReferenceKind.Video)]
    [InlineData("refs/a.png", ReferenceKind.Image)]
    [InlineData("refs/dir.mp4/a.jpg", ReferenceKind.Image)]
    public void Kind_is_inferred_from_the_blob_name(string blob, ReferenceKind expected)
    {
        var result = ValidateOne(new JobReference { Blob = blob });
        Assert.Equal(expected, result.Job!.References[0].Kind);
    }

    [Theory]
    [InlineData("https://e.com/clip")]
    [InlineData("https://e.com/clip.gif")]
    [InlineData("https://e.com/download?file=a.mp4")]
    [InlineData("https://e.com/")]
    public void Kind_is_required_when_the_extension_does_not_tell(string url)
    {
        var message = Assert.Single(Jobs.AssertError(ValidateOne(new JobReference { Url = url }), "references[0].kind"));
        Assert.Contains(".mp4", message);

        var video = ValidateOne(new JobReference { Url = url, Kind = "video" });
        Jobs.AssertValid(video);
        Assert.Equal(ReferenceKind.Video, video.Job!.References[0].Kind);

        var image = ValidateOne(new JobReference { Url = url, Kind = "image" });
        Assert.Equal(ReferenceKind.Image, image.Job!.References[0].Kind);
    }

    [Fact]
    public void Explicit_kind_matching_the_extension_is_fine()
    {
        Jobs.AssertValid(ValidateOne(new JobReference { Url = "https://e.com/a.mp4", Kind = "video" }));
        Jobs.AssertValid(ValidateOne(new JobReference { Blob = "refs/a.png", Kind = "image" }));
    }

    [Theory]
    [InlineData("https://e.com/a.mp4", "image")]
    [InlineData("https://e.com/a.png", "video")]
    public void Explicit_kind_contradicting_the_extension_is_an_error(string url, string kind)
    {
        var message = Assert.Single(Jobs.AssertError(ValidateOne(new JobReference { Url = url, Kind = kind }), "references[0].kind"));
        Assert.Contains("contradicts", message);
    }

    [Theory]
    [InlineData("Video")]
    [InlineData("audio")]
    [InlineData("img")]
    public void Unknown_kind_is_an_error(string kind)
    {
        Jobs.AssertError(ValidateOne(new JobReference { Url = "https://e.com/a.mp4", Kind = kind }), "references[0].kind");
    }

    [Fact]
    public void Global_rejects_image_references()
    {
        var result = Jobs.Validate(Jobs.With(Jobs.Video(1), Jobs.Image(2)), DashScopeRegion.Global);
        var message = Assert.Single(Jobs.AssertError(result, "references[1]"));
        Assert.Contains("only video", message);
        Assert.False(result.Errors.ContainsKey("references[0]"));
    }

    [Fact]
    public void Global_accepts_video_references()
    {
        Jobs.AssertValid(Jobs.Validate(Jobs.With(Jobs.Video(1), Jobs.Video(2), Jobs.Video(3)), DashScopeRegion.Global));
    }

    [Theory]
    [InlineData(DashScopeRegion.International)]
    [InlineData(DashScopeRegion.ChineseMainland)]
    public void Other_regions_accept_images_and_videos(DashScopeRegion region)
    {
        Jobs.AssertValid(Jobs.Validate(Jobs.With(Jobs.Image(1), Jobs.Video(2)) with { Model = "wan2.6-r2v" }, region));
        Jobs.AssertValid(Jobs.Validate(Jobs.With(Jobs.Image(1), Jobs.Video(2)) with { Model = "wan2.6-r2v-flash" }, region));
    }

    [Fact]
    public void Errors_of_several_references_are_all_reported()
    {
        var result = Jobs.Validate(Jobs.With(
            new JobReference { Url = "ftp://e.com/a.mp4" },
            new JobReference { Blob = "X/a.mp4" },
            new JobReference { Url = "https://e.com/a", },
            Jobs.Video(4)));
        Assert.Equal(
            new[] { "references[0].url", "references[1].blob", "references[2].kind" },
            result.Errors.Keys.Order(StringComparer.Ordinal));
    }
}
