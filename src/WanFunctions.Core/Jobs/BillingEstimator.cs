namespace WanFunctions.Jobs;

/// <summary>
/// Upper bound of the seconds DashScope bills for a task: output seconds plus, per input video, the
/// per-reference truncation limit (the 5 s input cap split across all references; images are free).
/// It is an upper bound because a video shorter than the limit is billed for its own length.
/// </summary>
public static class BillingEstimator
{
    /// <summary>The truncation limit per input video for 1..5 references, exactly as the provider's table says.</summary>
    public static decimal PerVideoCap(int totalReferences) => totalReferences switch
    {
        1 => 5m,
        2 => 2.5m,
        3 => 1.65m, // the provider's figure, not 5/3
        4 => 1.25m,
        5 => 1m,
        _ => throw new ArgumentOutOfRangeException(nameof(totalReferences), totalReferences, "A job has 1 to 5 references."),
    };

    public static decimal UpperBound(int outputSeconds, int totalReferences, int videoReferences) =>
        outputSeconds + PerVideoCap(totalReferences) * videoReferences;

    public static decimal UpperBound(int outputSeconds, IReadOnlyCollection<ValidatedReference> references) =>
        UpperBound(outputSeconds, references.Count, references.Count(r => r.Kind == ReferenceKind.Video));
}
