using System.Text.Json.Serialization;

namespace WanFunctions.Jobs;

public enum ReferenceKind
{
    Image,
    Video,
}

/// <summary>A reference after validation: exactly one of <see cref="Url"/> / <see cref="Blob"/>, and a known kind.</summary>
public sealed record ValidatedReference(
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("blob")] string? Blob,
    [property: JsonPropertyName("kind")] ReferenceKind Kind);

/// <summary>
/// A job that passed validation, with the provider's defaults filled in. It is the orchestration's input,
/// so it is a record with an explicit JSON contract and holds no secrets.
/// </summary>
public sealed record ValidatedJob(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("negativePrompt")] string? NegativePrompt,
    [property: JsonPropertyName("references")] IReadOnlyList<ValidatedReference> References,
    [property: JsonPropertyName("size")] string Size,
    [property: JsonPropertyName("duration")] int Duration,
    [property: JsonPropertyName("audio")] bool Audio,
    [property: JsonPropertyName("shotType")] string ShotType,
    [property: JsonPropertyName("watermark")] bool Watermark,
    [property: JsonPropertyName("seed")] long? Seed,
    [property: JsonPropertyName("callbackUrl")] string? CallbackUrl,
    [property: JsonPropertyName("billedSecondsUpperBound")] decimal BilledSecondsUpperBound,
    [property: JsonPropertyName("priority")] string Priority = "normal");

/// <summary>
/// The outcome of validation: either <see cref="Job"/> or a non-empty <see cref="Errors"/> map
/// (field path → messages, as in RFC 9457 problem details), plus warnings that do not stop the job.
/// </summary>
public sealed record JobValidationResult(
    ValidatedJob? Job,
    IReadOnlyDictionary<string, string[]> Errors,
    IReadOnlyList<string> Warnings)
{
    public bool IsValid => Job is not null && Errors.Count == 0;
}
