namespace DashScope.Simulator;

/// <summary>A submit request after validation, with provider defaults filled in.</summary>
public sealed record ValidatedSubmit(
    string Model, string Prompt, string? NegativePrompt, IReadOnlyList<string> ReferenceUrls, int VideoReferenceCount,
    string Size, int Duration, bool Audio, string ShotType, bool Watermark, long? Seed);

/// <summary>Mirrors the provider's documented submit limits; every failure is a 400 InvalidParameter with a precise message.</summary>
public sealed class SubmitValidator(SimulatorOptions options)
{
    public const string FlashModel = "wan2.6-r2v-flash";
    public const string StandardModel = "wan2.6-r2v";
    public const int MaxPromptLength = 1500;
    public const int MaxNegativePromptLength = 500;
    public const int MaxReferences = 5;
    public const int MaxVideoReferences = 3;

    public static readonly IReadOnlyList<string> Sizes =
    [
        "1280*720", "720*1280", "960*960", "1088*832", "832*1088",
        "1920*1080", "1080*1920", "1440*1440", "1632*1248", "1248*1632",
    ];

    private static readonly string[] VideoExtensions = [".mp4", ".mov"];

    public IReadOnlyList<string> Models =>
        options.Region == SimulatorRegion.Global ? [StandardModel] : [FlashModel, StandardModel];

    public ValidatedSubmit Validate(SubmitRequest? request, out string? error)
    {
        error = Check(request);
        if (error is not null)
        {
            return null!;
        }

        var input = request!.Input!;
        var p = request.Parameters;
        var urls = input.ReferenceUrls!.Select(u => u!).ToArray();
        return new ValidatedSubmit(
            request.Model!, input.Prompt!, input.NegativePrompt, urls, urls.Count(IsVideoUrl),
            p?.Size ?? "1920*1080", p?.Duration ?? 5, p?.Audio ?? true, p?.ShotType ?? "single", p?.Watermark ?? false, p?.Seed);
    }

    private string? Check(SubmitRequest? r)
    {
        if (r is null)
        {
            return "The request body must be a JSON object.";
        }

        if (string.IsNullOrEmpty(r.Model))
        {
            return "Parameter model is required.";
        }

        if (!Models.Contains(r.Model))
        {
            return $"Model '{r.Model}' is not supported in region {options.Region}; supported models: {string.Join(", ", Models)}.";
        }

        var input = r.Input;
        if (input is null)
        {
            return "Parameter input is required.";
        }

        if (string.IsNullOrWhiteSpace(input.Prompt))
        {
            return "Parameter input.prompt is required.";
        }
        // Code points, not UTF-16 units: the provider counts characters the way Python does.
        if (CountChars(input.Prompt) > MaxPromptLength)
        {
            return $"Parameter input.prompt must be at most {MaxPromptLength} characters.";
        }

        if (input.NegativePrompt is not null && CountChars(input.NegativePrompt) > MaxNegativePromptLength)
        {
            return $"Parameter input.negative_prompt must be at most {MaxNegativePromptLength} characters.";
        }

        var urls = input.ReferenceUrls;
        if (urls is null || urls.Count == 0)
        {
            return "Parameter input.reference_urls is required and must contain 1 to 5 URLs.";
        }

        if (urls.Count > MaxReferences)
        {
            return $"Parameter input.reference_urls must contain at most {MaxReferences} URLs, got {urls.Count}.";
        }

        for (var i = 0; i < urls.Count; i++)
        {
            if (!Uri.TryCreate(urls[i], UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                return $"Parameter input.reference_urls[{i}] must be a public http(s) URL.";
            }
        }
        var videos = urls.Count(u => IsVideoUrl(u!));
        if (videos > MaxVideoReferences)
        {
            return $"Parameter input.reference_urls may contain at most {MaxVideoReferences} videos, got {videos}.";
        }

        var p = r.Parameters;
        if (p is null)
        {
            return null;
        }

        if (p.Size is not null && !Sizes.Contains(p.Size))
        {
            return $"Parameter parameters.size must be one of: {string.Join(", ", Sizes)}.";
        }

        if (p.Duration is { } d)
        {
            if (options.Region == SimulatorRegion.Global && d is not (5 or 10))
            {
                return "Parameter parameters.duration must be 5 or 10 in this region.";
            }

            if (d is < 2 or > 10)
            {
                return "Parameter parameters.duration must be an integer between 2 and 10.";
            }
        }
        if (p.Audio == false && r.Model != FlashModel)
        {
            return $"Parameter parameters.audio=false (silent video) is only supported by {FlashModel}.";
        }

        if (p.ShotType is not null && p.ShotType is not ("single" or "multi"))
        {
            return "Parameter parameters.shot_type must be 'single' or 'multi'.";
        }

        if (p.Seed is { } s && (s < 0 || s > int.MaxValue))
        {
            return "Parameter parameters.seed must be between 0 and 2147483647.";
        }

        return null;
    }

    private static int CountChars(string s) => s.EnumerateRunes().Count();

    /// <summary>Video or image is decided by the path's extension; the query string (signatures) is ignored.</summary>
    public static bool IsVideoUrl(string url)
    {
        var path = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : url.Split('?', '#')[0];
        return VideoExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>Billing as documented: output seconds plus input video seconds, with the 5 s cap split across all references.</summary>
public static class Billing
{
    /// <summary>Every simulated reference video is assumed to be 5 s long.</summary>
    public const decimal AssumedReferenceVideoSeconds = 5m;

    private static readonly decimal[] PerVideoCap = [5m, 2.5m, 1.65m, 1.25m, 1m];

    public static decimal InputVideoSeconds(int referenceCount, int videoCount) =>
        referenceCount < 1 ? 0m : videoCount * Math.Min(AssumedReferenceVideoSeconds, PerVideoCap[Math.Min(referenceCount, 5) - 1]);

    public static TaskUsage UsageFor(SimTask task)
    {
        var input = InputVideoSeconds(task.ReferenceCount, task.VideoReferenceCount);
        var sr = task.Size is "1280*720" or "720*1280" or "960*960" or "1088*832" or "832*1088" ? 720 : 1080;
        return new TaskUsage(task.Duration + input, input, task.Duration, sr, task.Size, 1);
    }
}
