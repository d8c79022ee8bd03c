using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;

namespace WanFunctions.Storage;

/// <summary>
/// What this deployment knows about its submits, so that a submit activity that runs twice, or whose answer was lost,
/// never pays for a second provider task: the task each job was submitted as, the job each task belongs to, and an
/// intent written before a submit is sent (evidence that a task may exist although no task id was recorded).
/// </summary>
public interface ISubmissionLedger
{
    /// <summary>The provider task id recorded for <paramref name="jobId"/>, or null.</summary>
    public Task<string?> FindTaskIdAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>
    /// Records both directions, task → job (with the pool <paramref name="account"/> that accepted the task) first, so a
    /// task is marked as this deployment's before the job points at it.
    /// </summary>
    public Task RecordAsync(string jobId, string taskId, string account, CancellationToken cancellationToken);

    /// <summary>The job a provider task was recorded for, or null when this deployment never recorded it.</summary>
    public Task<string?> FindJobOfTaskAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>
    /// The job a provider task was recorded for and the account that accepted it (<c>default</c> for a record written
    /// before the pool), or null when this deployment never recorded it.
    /// </summary>
    public Task<RecordedTask?> FindTaskAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>Writes (or replaces) the job's intent, before the submit is sent.</summary>
    public Task WriteIntentAsync(SubmitIntent intent, CancellationToken cancellationToken);

    /// <summary>The job's open intent, or null.</summary>
    public Task<SubmitIntent?> FindIntentAsync(string jobId, string promptSha256, CancellationToken cancellationToken);

    /// <summary>Drops the job's intent once the outcome is settled (task recorded, or the provider certainly created nothing).</summary>
    public Task DeleteIntentAsync(string jobId, string promptSha256, CancellationToken cancellationToken);

    /// <summary>
    /// The open intents of other jobs with the same prompt: their unrecorded tasks cannot be told apart from this job's
    /// by the prompt.
    /// </summary>
    public Task<IReadOnlyList<SubmitIntent>> FindOtherIntentsAsync(string jobId, string promptSha256, CancellationToken cancellationToken);
}

/// <summary>
/// A submit about to be sent: the job, its model, the SHA-256 of its prompt and when (UTC, our clock), and the pool
/// account it is sent with (null: the account "default", also for intents written before the pool), whose task list
/// settles a lost answer.
/// </summary>
public sealed record SubmitIntent(
    [property: JsonPropertyName("jobId")] string JobId,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("promptSha256")] string PromptSha256,
    [property: JsonPropertyName("attemptedAt")] DateTimeOffset AttemptedAt,
    [property: JsonPropertyName("account")] string? Account = null);

/// <summary>A provider task this deployment recorded: its job and the pool account that accepted it.</summary>
public sealed record RecordedTask(
    [property: JsonPropertyName("jobId")] string JobId,
    [property: JsonPropertyName("account")] string Account);

/// <summary>
/// <see cref="ISubmissionLedger"/> on small blobs in the state container: <c>submissions/{jobId}.txt</c> (task id),
/// <c>tasks/{taskId}.txt</c> (<see cref="RecordedTask"/> as JSON; a bare job id in records written before the pool) and <c>intents/{promptSha256}/{jobId}.json</c> (open intents, grouped by prompt
/// so a look for rivals is one listing). The container's lifecycle rule ages them all out.
/// </summary>
public sealed class SubmissionLedger(BlobServiceClient blobService, IOptions<StorageOptions> options) : ISubmissionLedger
{
    public Task<string?> FindTaskIdAsync(string jobId, CancellationToken cancellationToken) =>
        ReadTextAsync(Blob($"submissions/{jobId}.txt"), cancellationToken);

    public async Task RecordAsync(string jobId, string taskId, string account, CancellationToken cancellationToken)
    {
        await Container().CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Blob(TaskRecord(taskId)).UploadAsync(new BinaryData(JsonSerializer.SerializeToUtf8Bytes(new RecordedTask(jobId, account))),
            overwrite: true, cancellationToken);
        await Blob($"submissions/{jobId}.txt").UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(taskId)), overwrite: true, cancellationToken);
    }

    public async Task<string?> FindJobOfTaskAsync(string taskId, CancellationToken cancellationToken) =>
        (await FindTaskAsync(taskId, cancellationToken))?.JobId;

    public async Task<RecordedTask?> FindTaskAsync(string taskId, CancellationToken cancellationToken) =>
        await ReadTextAsync(Blob(TaskRecord(taskId)), cancellationToken) is { } text
            ? text.StartsWith('{') ? JsonSerializer.Deserialize<RecordedTask>(text) : new RecordedTask(text, DashScope.DashScopeAccount.DefaultName)
            : null;

    public async Task WriteIntentAsync(SubmitIntent intent, CancellationToken cancellationToken)
    {
        await Container().CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Blob(IntentRecord(intent.JobId, intent.PromptSha256))
            .UploadAsync(new BinaryData(JsonSerializer.SerializeToUtf8Bytes(intent)), overwrite: true, cancellationToken);
    }

    public Task<SubmitIntent?> FindIntentAsync(string jobId, string promptSha256, CancellationToken cancellationToken) =>
        ReadIntentAsync(IntentRecord(jobId, promptSha256), cancellationToken);

    public async Task DeleteIntentAsync(string jobId, string promptSha256, CancellationToken cancellationToken) =>
        await Blob(IntentRecord(jobId, promptSha256)).DeleteIfExistsAsync(cancellationToken: cancellationToken);

    public async Task<IReadOnlyList<SubmitIntent>> FindOtherIntentsAsync(string jobId, string promptSha256, CancellationToken cancellationToken)
    {
        var own = IntentRecord(jobId, promptSha256);
        var others = new List<SubmitIntent>();
        try
        {
            await foreach (var item in Container().GetBlobsAsync(prefix: $"intents/{promptSha256}/", cancellationToken: cancellationToken))
            {
                if (item.Name != own && await ReadIntentAsync(item.Name, cancellationToken) is { } other)
                {
                    others.Add(other);
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No container yet: no intents either.
        }

        return others;
    }

    // Task ids are the provider's strings: escaped, so no id can address another record.
    private static string TaskRecord(string taskId) => $"tasks/{Uri.EscapeDataString(taskId)}.txt";

    private static string IntentRecord(string jobId, string promptSha256) => $"intents/{promptSha256}/{jobId}.json";

    private async Task<SubmitIntent?> ReadIntentAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            BlobDownloadResult record = await Blob(name).DownloadContentAsync(cancellationToken);
            return record.Content.ToObjectFromJson<SubmitIntent>();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null; // dropped in the meantime
        }
    }

    private static async Task<string?> ReadTextAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            BlobDownloadResult record = await blob.DownloadContentAsync(cancellationToken);
            return record.Content.ToString();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    private BlobContainerClient Container() => blobService.GetBlobContainerClient(options.Value.StateContainer);

    private BlobClient Blob(string name) => Container().GetBlobClient(name);
}
