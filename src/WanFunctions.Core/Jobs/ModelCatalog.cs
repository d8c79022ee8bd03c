using WanFunctions.DashScope;

namespace WanFunctions.Jobs;

/// <summary>What one model accepts in one region.</summary>
/// <param name="Name">The DashScope model id, e.g. <c>wan2.6-r2v-flash</c>.</param>
/// <param name="Durations">Allowed output durations in seconds.</param>
/// <param name="DurationRule">The same rule in words, for error messages.</param>
/// <param name="SupportsSilent">Whether <c>audio: false</c> is allowed.</param>
/// <param name="ReferenceKinds">Which reference kinds the model takes.</param>
public sealed record ModelSpec(
    string Name,
    IReadOnlyList<int> Durations,
    string DurationRule,
    bool SupportsSilent,
    IReadOnlyList<ReferenceKind> ReferenceKinds)
{
    public bool AllowsDuration(int seconds) => Durations.Contains(seconds);

    public bool Accepts(ReferenceKind kind) => ReferenceKinds.Contains(kind);
}

/// <summary>
/// The Wan reference-to-video models per region and the provider's defaults, as documented on the
/// Model Studio "Reference-to-video" page (models, durations and inputs differ per region).
/// </summary>
public static class ModelCatalog
{
    public const string Wan26R2VFlash = "wan2.6-r2v-flash";
    public const string Wan26R2V = "wan2.6-r2v";

    /// <summary>The default model where it is offered; see <see cref="DefaultModelFor"/>.</summary>
    public const string DefaultModel = Wan26R2VFlash;

    public const string DefaultSize = "1920*1080";
    public const int DefaultDuration = 5;
    public const bool DefaultAudio = true;
    public const string DefaultShotType = "single";
    public const bool DefaultWatermark = false;

    /// <summary>The documented sizes: the 720P tier, then the 1080P tier.</summary>
    public static IReadOnlyList<string> Sizes { get; } =
    [
        "1280*720", "720*1280", "960*960", "1088*832", "832*1088",
        "1920*1080", "1080*1920", "1440*1440", "1632*1248", "1248*1632",
    ];

    public static IReadOnlyList<string> ShotTypes { get; } = ["single", "multi"];

    private static readonly IReadOnlyList<int> TwoToTen = [2, 3, 4, 5, 6, 7, 8, 9, 10];
    private const string TwoToTenRule = "an integer from 2 to 10";
    private static readonly IReadOnlyList<ReferenceKind> ImagesAndVideos = [ReferenceKind.Image, ReferenceKind.Video];

    // Global offers only wan2.6-r2v, with input "Text, video" and 5 s or 10 s output.
    private static readonly IReadOnlyList<ModelSpec> Global =
    [
        new(Wan26R2V, [5, 10], "5 or 10", SupportsSilent: false, [ReferenceKind.Video]),
    ];

    // International (Singapore) and Chinese mainland (Beijing) offer the same two models.
    private static readonly IReadOnlyList<ModelSpec> Regional =
    [
        new(Wan26R2VFlash, TwoToTen, TwoToTenRule, SupportsSilent: true, ImagesAndVideos),
        new(Wan26R2V, TwoToTen, TwoToTenRule, SupportsSilent: false, ImagesAndVideos),
    ];

    /// <summary>The models offered in <paramref name="region"/>, recommended one first.</summary>
    public static IReadOnlyList<ModelSpec> ModelsIn(DashScopeRegion region) => region switch
    {
        DashScopeRegion.Global => Global,
        DashScopeRegion.International or DashScopeRegion.ChineseMainland => Regional,
        _ => throw new ArgumentOutOfRangeException(nameof(region), region, "Unknown DashScope region."),
    };

    /// <summary>The model offered in the region with exactly this id, or null.</summary>
    public static ModelSpec? Find(DashScopeRegion region, string? model) =>
        ModelsIn(region).FirstOrDefault(m => string.Equals(m.Name, model, StringComparison.Ordinal));

    /// <summary>The model used when a job names none: flash, except on Global where flash is not offered.</summary>
    public static string DefaultModelFor(DashScopeRegion region) =>
        Find(region, DefaultModel)?.Name ?? ModelsIn(region)[0].Name;

    /// <summary>
    /// Whether an account of <paramref name="region"/> takes the validated job as it is: the model is offered there and
    /// allows its duration, silence and reference kinds (Global's <c>wan2.6-r2v</c> differs from the others').
    /// </summary>
    public static bool Serves(DashScopeRegion region, ValidatedJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return Find(region, job.Model) is { } spec && spec.AllowsDuration(job.Duration) && (job.Audio || spec.SupportsSilent)
            && job.References.All(r => spec.Accepts(r.Kind));
    }

    public static bool IsKnownSize(string? size) => size is not null && Sizes.Contains(size, StringComparer.Ordinal);
}
