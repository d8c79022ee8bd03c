using System.Text.Json.Serialization;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using WanFunctions.Storage;

namespace WanFunctions.Workflow;

/// <summary>
/// One observed run: the provider task, its RUNNING time in seconds (<c>end_time − scheduled_time</c>) and its whole
/// wait from the submit (<c>end_time − submit_time</c>; null in samples recorded before it was kept).
/// </summary>
public sealed record PollSample(
    [property: JsonPropertyName("taskId")] string TaskId,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("totalSeconds")] double? TotalSeconds = null);

/// <summary>
/// The learned run times of one job class (<see cref="PollClass"/>): the latest <see cref="Capacity"/> samples, oldest
/// first, so the table stays small and follows the provider when it gets faster or slower.
/// </summary>
public sealed class PollStats
{
    [JsonPropertyName("classKey")]
    public string ClassKey { get; set; } = "";

    [JsonPropertyName("samples")]
    public List<PollSample> Samples { get; set; } = [];

    /// <summary>
    /// Adds a run unless its task is already in (the recording activity may run twice), dropping the oldest beyond
    /// <paramref name="capacity"/>. Returns false when nothing changed.
    /// </summary>
    public bool Add(PollSample sample, int capacity)
    {
        if (Samples.Exists(s => s.TaskId == sample.TaskId))
        {
            return false;
        }

        Samples.Add(sample);
        if (Samples.Count > capacity)
        {
            Samples.RemoveRange(0, Samples.Count - capacity);
        }

        return true;
    }

    /// <summary>
    /// The plan for this class under <paramref name="options"/>: <paramref name="points"/> quantiles of the run times
    /// and of the whole waits (linear between order statistics), or <see cref="PollPlan.Fallback"/> below
    /// <see cref="WorkflowOptions.LearnedPollMinSamples"/> samples (the whole waits alone: null below it).
    /// </summary>
    public PollPlan ToPlan(WorkflowOptions options, int points = 51)
    {
        if (Samples.Count < options.LearnedPollMinSamples)
        {
            return PollPlan.Fallback(ClassKey, Samples.Count);
        }

        var totals = Samples.Where(s => s.TotalSeconds is not null).Select(s => s.TotalSeconds!.Value).ToList();
        return new PollPlan(ClassKey, Samples.Count, Quantiles(Samples.Select(s => s.Seconds), points), options.LearnedPollFirstQuantile,
            options.LearnedPollStepQuantile, options.LearnedPollMinGap, options.LearnedPollMaxGap,
            totals.Count < options.LearnedPollMinSamples ? null : Quantiles(totals, points));
    }

    private static double[] Quantiles(IEnumerable<double> values, int points)
    {
        var sorted = values.Order().ToArray();
        var quantiles = new double[points];
        for (var i = 0; i < points; i++)
        {
            var rank = (double)i / (points - 1) * (sorted.Length - 1);
            var low = (int)Math.Floor(rank);
            var high = Math.Min(low + 1, sorted.Length - 1);
            quantiles[i] = Math.Round(sorted[low] + (sorted[high] - sorted[low]) * (rank - low), 3);
        }

        return quantiles;
    }
}

/// <summary>The learned run times per job class, read at the start of a job's wait and added to when a task succeeds.</summary>
public interface IPollStatsStore
{
    /// <summary>The class's samples (none yet: an empty table).</summary>
    public Task<PollStats> ReadAsync(string classKey, CancellationToken cancellationToken);

    /// <summary>Adds one run (once per task, bounded to <paramref name="capacity"/>); true when it was new.</summary>
    public Task<bool> AddAsync(string classKey, PollSample sample, int capacity, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IPollStatsStore"/> as one JSON blob per class, <c>{state container}/poll-stats/{class}.json</c>, replaced
/// with <c>If-Match</c> (created with <c>If-None-Match: *</c>): several workers add to it without losing a sample.
/// </summary>
public sealed class BlobPollStatsStore(BlobServiceClient blobService, IOptions<StorageOptions> options) : IPollStatsStore
{
    internal const int MaxAttempts = 20;

    private readonly ETagBlobDocuments<PollStats> _documents = new(MaxAttempts);

    public async Task<PollStats> ReadAsync(string classKey, CancellationToken cancellationToken)
    {
        var stats = await _documents.ReadAsync(BlobFor(classKey), () => new PollStats(), cancellationToken);
        stats.ClassKey = classKey;
        return stats;
    }

    public Task<bool> AddAsync(string classKey, PollSample sample, int capacity, CancellationToken cancellationToken) =>
        _documents.UpdateAsync(BlobFor(classKey), () => new PollStats(), stats =>
        {
            stats.ClassKey = classKey;
            var added = stats.Add(sample, capacity);
            return (added, added);
        }, cancellationToken);

    // Escaped, so no class name can address another record.
    private BlobClient BlobFor(string classKey) =>
        blobService.GetBlobContainerClient(options.Value.StateContainer).GetBlobClient($"poll-stats/{Uri.EscapeDataString(classKey)}.json");
}
