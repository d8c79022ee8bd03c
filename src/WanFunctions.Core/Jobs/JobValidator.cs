using System.Text.RegularExpressions;
using WanFunctions.DashScope;

namespace WanFunctions.Jobs;

/// <summary>
/// Checks a job against what DashScope accepts in the regions the account pool covers, before anything is submitted or
/// billed: a job is valid when one of them takes it (models, durations and inputs differ per region), the first region
/// in pool order first. Reports every error at once, keyed by camelCase field path ("prompt", "references[2].url"), and
/// fills in the provider's defaults.
/// </summary>
public sealed partial class JobValidator(DashScopeRegion region)
{
    private readonly List<JobValidator> others = [];

    /// <summary>A validator for a pool covering <paramref name="regions"/> (in pool order; at least one).</summary>
    /// <exception cref="ArgumentException">No region.</exception>
    public JobValidator(IReadOnlyList<DashScopeRegion> regions)
        : this(regions is { Count: > 0 } ? regions[0] : throw new ArgumentException("At least one region is required.", nameof(regions))) =>
        others = regions.Distinct().Skip(1).Select(r => new JobValidator(r)).ToList();

    /// <summary>The regions the pool covers, in pool order.</summary>
    public IReadOnlyList<DashScopeRegion> Regions => [Region, .. others.Select(o => o.Region)];

    public const int MinReferences = 1;
    public const int MaxReferences = 5;
    public const int MaxVideoReferences = 3;
    public const int MaxPromptLength = 1500;
    public const int MaxNegativePromptLength = 500;
    public const long MaxSeed = int.MaxValue;
    public const int MaxIdempotencyKeyLength = 100;

    public DashScopeRegion Region { get; } = region;

    public JobValidationResult Validate(VideoJobRequest? request)
    {
        var first = ValidateIn(request);
        if (first.IsValid || others.Count == 0 || request is null)
        {
            return first;
        }

        var offered = request.Model is not { } named || ModelCatalog.Find(Region, named) is not null;
        foreach (var other in others)
        {
            var result = other.ValidateIn(request);
            if (result.IsValid)
            {
                return result;
            }

            if (!offered && (request.Model is null || ModelCatalog.Find(other.Region, request.Model) is not null))
            {
                (first, offered) = (result, true); // the errors of the first region that offers the model say the most
            }
        }

        if (offered)
        {
            return first;
        }

        var errors = first.Errors.ToDictionary();
        var models = Regions.SelectMany(ModelCatalog.ModelsIn).Select(m => m.Name).Distinct();
        errors["model"] = [$"model {ValidationErrors.Echo(request.Model!, 40)} is not offered in the regions the configured accounts cover "
            + $"({string.Join(", ", Regions)}); use one of: {string.Join(", ", models)}."];
        return first with { Errors = errors };
    }

    /// <summary>The job as <see cref="Region"/> takes it.</summary>
    private JobValidationResult ValidateIn(VideoJobRequest? request)
    {
        var errors = new ValidationErrors();
        var warnings = new List<string>();
        if (request is null)
        {
            errors.Add("body", "A JSON object describing the job is required.");
            return new JobValidationResult(null, errors.ToDictionary(), warnings);
        }

        var model = ValidateModel(request.Model, errors);
        ValidatePrompt(request, errors, warnings);
        var references = ValidateReferences(request.References, model, errors);

        var size = request.Size ?? ModelCatalog.DefaultSize;
        if (!ModelCatalog.IsKnownSize(size))
        {
            errors.Add("size", $"size must be one of {string.Join(", ", ModelCatalog.Sizes)}; got {ValidationErrors.Echo(size, 20)}.");
        }

        var duration = request.Duration ?? ModelCatalog.DefaultDuration;
        if (model is not null && !model.AllowsDuration(duration))
        {
            errors.Add("duration", $"duration for {model.Name} in {Region} must be {model.DurationRule} seconds; got {duration}.");
        }

        var audio = request.Audio ?? ModelCatalog.DefaultAudio;
        if (model is not null && !audio && !model.SupportsSilent)
        {
            errors.Add("audio", $"Silent video (audio false) is supported only by {ModelCatalog.Wan26R2VFlash}; {model.Name} always has audio.");
        }

        var shotType = request.ShotType ?? ModelCatalog.DefaultShotType;
        if (!ModelCatalog.ShotTypes.Contains(shotType, StringComparer.Ordinal))
        {
            errors.Add("shotType", $"shotType must be \"single\" or \"multi\"; got {ValidationErrors.Echo(shotType, 20)}.");
        }

        if (request.Seed is < 0 or > MaxSeed)
        {
            errors.Add("seed", $"seed must be an integer from 0 to {MaxSeed}.");
        }

        if (request.CallbackUrl is not null && !IsAllowedCallbackUrl(request.CallbackUrl))
        {
            errors.Add("callbackUrl", "callbackUrl must be an absolute https URL (http is allowed only for localhost/loopback, for local testing).");
        }

        if (request.IdempotencyKey is not null && !IsValidIdempotencyKey(request.IdempotencyKey))
        {
            errors.Add("idempotencyKey", $"idempotencyKey must be 1-{MaxIdempotencyKeyLength} characters of letters, digits, '.', '_' and '-'.");
        }

        var priority = request.Priority ?? Capacity.CapacityGate.Normal;
        if (!Capacity.CapacityGate.Priorities.Contains(priority, StringComparer.Ordinal))
        {
            errors.Add("priority", $"priority must be \"high\", \"normal\" or \"low\"; got {ValidationErrors.Echo(priority, 20)}.");
        }

        if (errors.Any || model is null || references is null)
        {
            return new JobValidationResult(null, errors.ToDictionary(), warnings);
        }

        var job = new ValidatedJob(
            model.Name,
            request.Prompt!,
            request.NegativePrompt,
            references,
            size,
            duration,
            audio,
            shotType,
            request.Watermark ?? ModelCatalog.DefaultWatermark,
            request.Seed,
            request.CallbackUrl,
            BillingEstimator.UpperBound(duration, references),
            priority);
        return new JobValidationResult(job, errors.ToDictionary(), warnings);
    }

    private ModelSpec? ValidateModel(string? name, ValidationErrors errors)
    {
        var model = ModelCatalog.Find(Region, name ?? ModelCatalog.DefaultModelFor(Region));
        if (model is null)
        {
            var offered = string.Join(", ", ModelCatalog.ModelsIn(Region).Select(m => m.Name));
            errors.Add("model", $"model {ValidationErrors.Echo(name!, 40)} is not offered in the {Region} region; use one of: {offered}.");
        }

        return model;
    }

    private static void ValidatePrompt(VideoJobRequest request, ValidationErrors errors, List<string> warnings)
    {
        var prompt = request.Prompt;
        if (string.IsNullOrWhiteSpace(prompt))
        {
            errors.Add("prompt", "prompt is required; refer to the references as character1, character2, ... in their order.");
        }
        else
        {
            // The provider silently truncates longer prompts; reject instead. It counts characters, not UTF-16 units.
            var length = LengthInCharacters(prompt);
            if (length > MaxPromptLength)
            {
                errors.Add("prompt", $"prompt must be at most {MaxPromptLength} characters; it has {length}.");
            }

            CheckCharacterMentions(prompt, request.References?.Count ?? 0, errors, warnings);
        }

        if (request.NegativePrompt is not null && LengthInCharacters(request.NegativePrompt) is var negative and > MaxNegativePromptLength)
        {
            errors.Add("negativePrompt", $"negativePrompt must be at most {MaxNegativePromptLength} characters; it has {negative}.");
        }
    }

    /// <summary>characterN must have a reference N; a reference never mentioned is allowed but probably a mistake.</summary>
    private static void CheckCharacterMentions(string prompt, int referenceCount, ValidationErrors errors, List<string> warnings)
    {
        var mentioned = CharacterMentions.Find(prompt);
        var missing = mentioned.Where(n => n > referenceCount).ToList();
        if (missing.Count > 0)
        {
            var names = string.Join(", ", missing.Take(10).Select(n => n == int.MaxValue ? "character<huge number>" : $"character{n}"));
            errors.Add("prompt",
                $"prompt mentions {names} but there {(referenceCount == 1 ? "is 1 reference" : $"are {referenceCount} references")}; " +
                "characterN refers to the N-th reference (1-based order).");
        }

        for (var n = 1; n <= Math.Min(referenceCount, MaxReferences); n++)
        {
            if (!mentioned.Contains(n))
            {
                warnings.Add($"references[{n - 1}] is never mentioned as character{n} in the prompt.");
            }
        }
    }

    private static List<ValidatedReference>? ValidateReferences(
        IReadOnlyList<JobReference?>? references, ModelSpec? model, ValidationErrors errors)
    {
        if (references is null || references.Count < MinReferences)
        {
            errors.Add("references", $"references must list {MinReferences} to {MaxReferences} images or videos (at most {MaxVideoReferences} videos).");
            return null;
        }

        if (references.Count > MaxReferences)
        {
            errors.Add("references", $"At most {MaxReferences} references are allowed; got {references.Count}.");
        }

        var validated = new List<ValidatedReference>();
        var allValid = true;
        for (var i = 0; i < references.Count; i++)
        {
            var reference = ReferenceValidator.Validate(references[i], i, model, errors);
            if (reference is null)
            {
                allValid = false;
            }
            else
            {
                validated.Add(reference);
            }
        }

        var videos = validated.Count(r => r.Kind == ReferenceKind.Video);
        if (videos > MaxVideoReferences)
        {
            errors.Add("references", $"At most {MaxVideoReferences} of the references may be videos; got {videos}.");
        }

        return allValid && references.Count <= MaxReferences && videos <= MaxVideoReferences ? validated : null;
    }

    /// <summary>Https, or http to a loopback host so a local listener can be used while testing.</summary>
    private static bool IsAllowedCallbackUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && uri.Host.Length > 0
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));

    private static int LengthInCharacters(string text) => text.EnumerateRunes().Count();

    /// <summary>The rule for an idempotency key, whether it comes in the body or in the <c>Idempotency-Key</c> header.</summary>
    public static bool IsValidIdempotencyKey(string key) => IdempotencyKeyPattern().IsMatch(key);

    // The key becomes part of an orchestration instance id, so only characters that are safe there.
    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,100}\z")]
    private static partial Regex IdempotencyKeyPattern();
}
