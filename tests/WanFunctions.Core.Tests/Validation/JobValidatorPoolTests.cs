using WanFunctions.DashScope;
using WanFunctions.Jobs;
using static WanFunctions.Core.Tests.Validation.Jobs;

namespace WanFunctions.Core.Tests.Validation;

/// <summary>Validation against the regions the account pool covers.</summary>
public class JobValidatorPoolTests
{
    [Fact]
    public void A_model_no_covered_region_offers_is_refused_naming_the_model_and_the_covered_regions()
    {
        var validator = new JobValidator([DashScopeRegion.Global, DashScopeRegion.Global]);
        var request = Valid() with { Model = ModelCatalog.Wan26R2VFlash };

        var message = Assert.Single(AssertError(validator.Validate(request), "model"));

        Assert.Contains(ModelCatalog.Wan26R2VFlash, message);
        Assert.Contains("Global", message);
    }

    [Fact]
    public void A_model_offered_only_in_the_second_region_of_the_pool_is_valid()
    {
        var validator = new JobValidator([DashScopeRegion.Global, DashScopeRegion.International]);
        var request = Valid() with { Model = ModelCatalog.Wan26R2VFlash, Duration = 3 };

        var result = validator.Validate(request);

        AssertValid(result);
        Assert.Equal(ModelCatalog.Wan26R2VFlash, result.Job!.Model);
        Assert.True(ModelCatalog.Serves(DashScopeRegion.International, result.Job));
        Assert.False(ModelCatalog.Serves(DashScopeRegion.Global, result.Job));
    }

    [Fact]
    public void A_model_offered_nowhere_names_every_covered_region()
    {
        var validator = new JobValidator([DashScopeRegion.International, DashScopeRegion.Global]);
        var request = Valid() with { Model = "wan9-r2v" };

        var message = Assert.Single(AssertError(validator.Validate(request), "model"));

        Assert.Contains("regions the configured accounts cover (International, Global)", message);
    }

    [Fact]
    public void A_job_one_region_refuses_and_none_takes_gets_the_errors_of_the_first_region_that_offers_the_model()
    {
        var validator = new JobValidator([DashScopeRegion.Global, DashScopeRegion.International]);
        var request = Valid() with { Model = ModelCatalog.Wan26R2VFlash, Duration = 11 };

        var message = Assert.Single(AssertError(validator.Validate(request), "duration"));

        Assert.Contains("International", message);
    }
}
