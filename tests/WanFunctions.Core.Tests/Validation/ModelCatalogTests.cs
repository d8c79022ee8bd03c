using WanFunctions.DashScope;
using WanFunctions.Jobs;

namespace WanFunctions.Core.Tests.Validation;

public class ModelCatalogTests
{
    [Fact]
    public void Global_offers_only_wan26_r2v()
    {
        Assert.Equal(["wan2.6-r2v"], ModelCatalog.ModelsIn(DashScopeRegion.Global).Select(m => m.Name));
    }

    [Theory]
    [InlineData(DashScopeRegion.International)]
    [InlineData(DashScopeRegion.ChineseMainland)]
    public void International_and_mainland_offer_flash_and_r2v(DashScopeRegion region)
    {
        Assert.Equal(["wan2.6-r2v-flash", "wan2.6-r2v"], ModelCatalog.ModelsIn(region).Select(m => m.Name));
    }

    [Theory]
    [InlineData(DashScopeRegion.Global, "wan2.6-r2v")]
    [InlineData(DashScopeRegion.International, "wan2.6-r2v-flash")]
    [InlineData(DashScopeRegion.ChineseMainland, "wan2.6-r2v-flash")]
    public void Default_model_is_flash_where_offered(DashScopeRegion region, string expected)
    {
        Assert.Equal(expected, ModelCatalog.DefaultModelFor(region));
    }

    [Fact]
    public void Global_r2v_takes_only_videos_and_5_or_10_seconds()
    {
        var spec = ModelCatalog.Find(DashScopeRegion.Global, ModelCatalog.Wan26R2V)!;
        Assert.Equal([ReferenceKind.Video], spec.ReferenceKinds);
        Assert.Equal([5, 10], spec.Durations);
        Assert.False(spec.SupportsSilent);
    }

    [Fact]
    public void Only_flash_supports_silent_video()
    {
        Assert.True(ModelCatalog.Find(DashScopeRegion.International, ModelCatalog.Wan26R2VFlash)!.SupportsSilent);
        Assert.False(ModelCatalog.Find(DashScopeRegion.International, ModelCatalog.Wan26R2V)!.SupportsSilent);
    }

    [Fact]
    public void Find_is_exact()
    {
        Assert.Null(ModelCatalog.Find(DashScopeRegion.International, "WAN2.6-R2V"));
        Assert.Null(ModelCatalog.Find(DashScopeRegion.International, null));
        Assert.Null(ModelCatalog.Find(DashScopeRegion.Global, ModelCatalog.Wan26R2VFlash));
    }

    [Fact]
    public void Ten_documented_sizes_with_1080p_default()
    {
        Assert.Equal(10, ModelCatalog.Sizes.Count);
        Assert.Contains(ModelCatalog.DefaultSize, ModelCatalog.Sizes);
        Assert.Equal("1920*1080", ModelCatalog.DefaultSize);
    }
}
