using WanFunctions.DashScope;
using WanFunctions.Jobs;

namespace WanFunctions.Core.Tests.Validation;

public class JobValidatorGeneralTests
{
    [Fact]
    public void Missing_body_is_an_error()
    {
        Assert.Contains("required", Jobs.AssertError(Jobs.Validate(null), "body")[0]);
    }

    [Fact]
    public void Minimal_request_gets_the_provider_defaults()
    {
        var request = new VideoJobRequest
        {
            Prompt = "  character1 waves.  ",
            References = [new JobReference { Url = "https://example.com/a.mp4" }],
        };

        var result = Jobs.Validate(request);

        Jobs.AssertValid(result);
        var job = result.Job!;
        Assert.Equal("wan2.6-r2v-flash", job.Model);
        Assert.Equal("  character1 waves.  ", job.Prompt); // kept as given
        Assert.Null(job.NegativePrompt);
        Assert.Equal("1920*1080", job.Size);
        Assert.Equal(5, job.Duration);
        Assert.True(job.Audio);
        Assert.Equal("single", job.ShotType);
        Assert.False(job.Watermark);
        Assert.Null(job.Seed);
        Assert.Null(job.CallbackUrl);
        Assert.Equal([new ValidatedReference("https://example.com/a.mp4", null, ReferenceKind.Video)], job.References);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Explicit_values_are_kept()
    {
        var request = Jobs.With(Jobs.Video(), new JobReference { Blob = "refs/folder/b.webp" }) with
        {
            Model = "wan2.6-r2v",
            NegativePrompt = "blurry",
            Size = "720*1280",
            Duration = 10,
            Audio = true,
            ShotType = "multi",
            Watermark = true,
            Seed = 42,
            CallbackUrl = "https://hooks.example.com/done",
            IdempotencyKey = "order-17.v2_a",
        };

        var result = Jobs.Validate(request, DashScopeRegion.ChineseMainland);

        Jobs.AssertValid(result);
        Assert.Equal(
            new ValidatedJob("wan2.6-r2v", request.Prompt!, "blurry", result.Job!.References, "720*1280", 10, true, "multi", true, 42,
                "https://hooks.example.com/done", 12.5m),
            result.Job);
        Assert.Equal(new ValidatedReference(null, "refs/folder/b.webp", ReferenceKind.Image), result.Job.References[1]);
    }

    [Fact]
    public void Global_defaults_to_r2v_because_flash_is_not_offered()
    {
        var result = Jobs.Validate(Jobs.Valid(), DashScopeRegion.Global);
        Jobs.AssertValid(result);
        Assert.Equal("wan2.6-r2v", result.Job!.Model);
    }

    [Fact]
    public void Flash_is_not_offered_in_global_and_the_message_names_what_is()
    {
        var result = Jobs.Validate(Jobs.Valid() with { Model = "wan2.6-r2v-flash" }, DashScopeRegion.Global);
        var message = Assert.Single(Jobs.AssertError(result, "model"));
        Assert.Contains("Global", message);
        Assert.Contains("use one of: wan2.6-r2v.", message);
    }

    [Theory]
    [InlineData("wan2.5-i2v")]
    [InlineData("")]
    [InlineData("WAN2.6-R2V-FLASH")]
    public void Unknown_model_lists_the_offered_models(string model)
    {
        var message = Assert.Single(Jobs.AssertError(Jobs.Validate(Jobs.Valid() with { Model = model }), "model"));
        Assert.Contains("wan2.6-r2v-flash, wan2.6-r2v", message);
    }

    [Fact]
    public void Long_model_name_is_not_echoed_in_full()
    {
        var model = new string('m', 5000);
        var message = Assert.Single(Jobs.AssertError(Jobs.Validate(Jobs.Valid() with { Model = model }), "model"));
        Assert.True(message.Length < 300, message);
    }

    [Fact]
    public void All_errors_are_reported_at_once()
    {
        var request = new VideoJobRequest
        {
            Model = "nope",
            Prompt = " ",
            NegativePrompt = new string('n', 501),
            References = [Jobs.Video(), new JobReference { Url = "ftp://example.com/a.mp4" }, new JobReference()],
            Size = "1024*1024",
            Duration = 11,
            ShotType = "panorama",
            Seed = -1,
            CallbackUrl = "http://example.com/hook",
            IdempotencyKey = "has space",
        };

        var result = Jobs.Validate(request);

        Assert.False(result.IsValid);
        Assert.Null(result.Job);
        Assert.Equal(
            new[] { "callbackUrl", "idempotencyKey", "model", "negativePrompt", "prompt", "references[1].url", "references[2]", "seed", "shotType", "size" },
            result.Errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Model_dependent_rules_are_checked_when_the_model_is_known()
    {
        var request = Jobs.Valid() with { Model = "wan2.6-r2v", Duration = 11, Audio = false, Size = "bad", ShotType = "Multi" };
        var result = Jobs.Validate(request);
        Assert.Equal(new[] { "audio", "duration", "shotType", "size" }, result.Errors.Keys.Order(StringComparer.Ordinal));
    }
}
