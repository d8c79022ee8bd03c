using System.Text.Json.Serialization;

namespace WanFunctions.Jobs;

/// <summary>
/// A job as callers send it (HTTP body or blob manifest), camelCase JSON. Everything is optional here
/// so that <see cref="JobValidator"/> can report every missing or wrong field at once.
/// </summary>
public sealed record VideoJobRequest
{
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("prompt")] public string? Prompt { get; init; }
    [JsonPropertyName("negativePrompt")] public string? NegativePrompt { get; init; }
    [JsonPropertyName("references")] public IReadOnlyList<JobReference?>? References { get; init; }
    [JsonPropertyName("size")] public string? Size { get; init; }
    [JsonPropertyName("duration")] public int? Duration { get; init; }
    [JsonPropertyName("audio")] public bool? Audio { get; init; }
    [JsonPropertyName("shotType")] public string? ShotType { get; init; }
    [JsonPropertyName("watermark")] public bool? Watermark { get; init; }
    [JsonPropertyName("seed")] public long? Seed { get; init; }
    [JsonPropertyName("callbackUrl")] public string? CallbackUrl { get; init; }
    [JsonPropertyName("idempotencyKey")] public string? IdempotencyKey { get; init; }

    /// <summary>Place in the capacity gate's queue: "high", "normal" (the default) or "low"; FIFO within a priority.</summary>
    [JsonPropertyName("priority")] public string? Priority { get; init; }
}

/// <summary>One reference: a public <c>url</c> or a <c>blob</c> ("container/path") in our storage account.</summary>
public sealed record JobReference
{
    [JsonPropertyName("url")] public string? Url { get; init; }
    [JsonPropertyName("blob")] public string? Blob { get; init; }

    /// <summary>"image" or "video"; needed only when the extension does not tell.</summary>
    [JsonPropertyName("kind")] public string? Kind { get; init; }
}
