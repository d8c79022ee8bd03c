using WanFunctions.DashScope;
using WanFunctions.Jobs;

namespace WanFunctions.Core.Tests.Validation;

/// <summary>Builders for valid requests that each test changes in one place.</summary>
internal static class Jobs
{
    public static JobReference Video(int n = 1) => new() { Url = $"https://example.com/actor{n}.mp4" };

    public static JobReference Image(int n = 1) => new() { Url = $"https://example.com/object{n}.png" };

    /// <summary>A valid request with the given references and a prompt mentioning every one of them.</summary>
    public static VideoJobRequest With(params JobReference?[] references) => new()
    {
        Prompt = MentionAll(references.Length),
        References = references,
    };

    public static VideoJobRequest Valid() => With(Video());

    public static string MentionAll(int count) =>
        string.Join(" and ", Enumerable.Range(1, Math.Max(count, 1)).Select(n => $"character{n}")) + " talk.";

    public static JobValidationResult Validate(VideoJobRequest? request, DashScopeRegion region = DashScopeRegion.International) =>
        new JobValidator(region).Validate(request);

    public static void AssertValid(JobValidationResult result)
    {
        Assert.True(result.IsValid, "Expected valid, got: " + string.Join("; ", result.Errors.Select(e => $"{e.Key}: {string.Join(" | ", e.Value)}")));
        Assert.Empty(result.Errors);
        Assert.NotNull(result.Job);
    }

    /// <summary>Asserts the request is invalid with an error under exactly this key, and returns its messages.</summary>
    public static string[] AssertError(JobValidationResult result, string key)
    {
        Assert.False(result.IsValid);
        Assert.Null(result.Job);
        Assert.True(result.Errors.ContainsKey(key), $"Expected an error on '{key}', got: {string.Join(", ", result.Errors.Keys)}");
        return result.Errors[key];
    }
}
