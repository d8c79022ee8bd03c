using WanFunctions.DashScope;
using WanFunctions.Jobs;

namespace WanFunctions.Core.Tests.Validation;

public class JobValidatorParameterTests
{
    public static TheoryData<string> Sizes => new(ModelCatalog.Sizes);

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Every_documented_size_is_accepted(string size)
    {
        var result = Jobs.Validate(Jobs.Valid() with { Size = size });
        Jobs.AssertValid(result);
        Assert.Equal(size, result.Job!.Size);
    }

    [Theory]
    [InlineData("1280x720")]
    [InlineData("1280*721")]
    [InlineData("720P")]
    [InlineData("")]
    [InlineData(" 1280*720")]
    [InlineData("1024*1024")]
    public void Other_sizes_are_rejected_with_the_list(string size)
    {
        var message = Assert.Single(Jobs.AssertError(Jobs.Validate(Jobs.Valid() with { Size = size }), "size"));
        Assert.Contains("1280*720, 720*1280, 960*960", message);
    }

    [Theory]
    [InlineData(DashScopeRegion.International, "wan2.6-r2v-flash")]
    [InlineData(DashScopeRegion.International, "wan2.6-r2v")]
    [InlineData(DashScopeRegion.ChineseMainland, "wan2.6-r2v-flash")]
    [InlineData(DashScopeRegion.ChineseMainland, "wan2.6-r2v")]
    public void Duration_is_2_to_10_outside_global(DashScopeRegion region, string model)
    {
        Jobs.AssertValid(Jobs.Validate(Jobs.Valid() with { Model = model, Duration = 2 }, region));
        Jobs.AssertValid(Jobs.Validate(Jobs.Valid() with { Model = model, Duration = 10 }, region));
        Assert.Contains("2 to 10", Jobs.AssertError(Jobs.Validate(Jobs.Valid() with { Model = model, Duration = 1 }, region), "duration")[0]);
        Jobs.AssertError(Jobs.Validate(Jobs.Valid() with { Model = model, Duration = 11 }, region), "duration");
        Jobs.AssertError(Jobs.Validate(Jobs.Valid() with { Model = model, Duration = 0 }, region), "duration");
        Jobs.AssertError(Jobs.Validate(Jobs.Valid() with { Model = model, Duration = -5 }, region), "duration");
    }

    [Theory]
    [InlineData(5, true)]
    [InlineData(10, true)]
    [InlineData(null, true)]
    [InlineData(6, false)]
    [InlineData(2, false)]
    [InlineData(9, false)]
    [InlineData(15, false)]
    public void Global_r2v_takes_5_or_10_seconds(int? duration, bool valid)
    {
        var result = Jobs.Validate(Jobs.Valid() with { Duration = duration }, DashScopeRegion.Global);
        if (valid)
        {
            Jobs.AssertValid(result);
        }
        else
        {
            Assert.Contains("5 or 10", Assert.Single(Jobs.AssertError(result, "duration")));
        }
    }

    [Theory]
    [InlineData(DashScopeRegion.International, "wan2.6-r2v-flash", true)]
    [InlineData(DashScopeRegion.ChineseMainland, "wan2.6-r2v-flash", true)]
    [InlineData(DashScopeRegion.International, "wan2.6-r2v", false)]
    [InlineData(DashScopeRegion.ChineseMainland, "wan2.6-r2v", false)]
    [InlineData(DashScopeRegion.Global, "wan2.6-r2v", false)]
    public void Silent_video_only_on_flash(DashScopeRegion region, string model, bool valid)
    {
        var result = Jobs.Validate(Jobs.Valid() with { Model = model, Audio = false }, region);
        if (valid)
        {
            Jobs.AssertValid(result);
            Assert.False(result.Job!.Audio);
        }
        else
        {
            Assert.Contains("wan2.6-r2v-flash", Assert.Single(Jobs.AssertError(result, "audio")));
        }
    }

    [Fact]
    public void Audio_true_is_fine_on_every_model()
    {
        Jobs.AssertValid(Jobs.Validate(Jobs.Valid() with { Model = "wan2.6-r2v", Audio = true }));
        Jobs.AssertValid(Jobs.Validate(Jobs.Valid() with { Model = "wan2.6-r2v-flash", Audio = true }));
    }

    [Theory]
    [InlineData("single", true)]
    [InlineData("multi", true)]
    [InlineData("Multi", false)]
    [InlineData("double", false)]
    [InlineData("", false)]
    public void Shot_type_is_single_or_multi(string shotType, bool valid)
    {
        var result = Jobs.Validate(Jobs.Valid() with { ShotType = shotType });
        if (valid)
        {
            Jobs.AssertValid(result);
        }
        else
        {
            Jobs.AssertError(result, "shotType");
        }
    }

    [Theory]
    [InlineData(-1L, false)]
    [InlineData(0L, true)]
    [InlineData(2147483647L, true)]
    [InlineData(2147483648L, false)]
    [InlineData(long.MinValue, false)]
    public void Seed_is_0_to_int_max(long seed, bool valid)
    {
        var result = Jobs.Validate(Jobs.Valid() with { Seed = seed });
        if (valid)
        {
            Jobs.AssertValid(result);
            Assert.Equal(seed, result.Job!.Seed);
        }
        else
        {
            Assert.Contains("0 to 2147483647", Assert.Single(Jobs.AssertError(result, "seed")));
        }
    }

    [Theory]
    [InlineData("https://hooks.example.com/done?x=1", true)]
    [InlineData("http://localhost:7071/api/hook", true)]
    [InlineData("http://127.0.0.1:5000/hook", true)]
    [InlineData("http://[::1]/hook", true)]
    [InlineData("http://example.com/hook", false)]
    [InlineData("ftp://example.com/hook", false)]
    [InlineData("/relative/hook", false)]
    [InlineData("hooks.example.com", false)]
    [InlineData("", false)]
    [InlineData("file:///etc/passwd", false)]
    public void Callback_url_must_be_https_or_loopback_http(string url, bool valid)
    {
        var result = Jobs.Validate(Jobs.Valid() with { CallbackUrl = url });
        if (valid)
        {
            Jobs.AssertValid(result);
            Assert.Equal(url, result.Job!.CallbackUrl);
        }
        else
        {
            Jobs.AssertError(result, "callbackUrl");
        }
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("Order-17.v2_final", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("slash/no", false)]
    [InlineData("colon:no", false)]
    [InlineData("trailing-newline\n", false)]
    [InlineData("ünicode", false)]
    public void Idempotency_key_is_safe_characters(string key, bool valid)
    {
        var result = Jobs.Validate(Jobs.Valid() with { IdempotencyKey = key });
        if (valid)
        {
            Jobs.AssertValid(result);
        }
        else
        {
            Jobs.AssertError(result, "idempotencyKey");
        }
    }

    [Fact]
    public void Idempotency_key_is_at_most_100_characters()
    {
        Jobs.AssertValid(Jobs.Validate(Jobs.Valid() with { IdempotencyKey = new string('k', 100) }));
        Jobs.AssertError(Jobs.Validate(Jobs.Valid() with { IdempotencyKey = new string('k', 101) }), "idempotencyKey");
    }
}
