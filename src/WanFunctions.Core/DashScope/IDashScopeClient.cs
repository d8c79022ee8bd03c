namespace WanFunctions.DashScope;

/// <summary>
/// DashScope's asynchronous video-synthesis API (submit, query, cancel, list).
/// Every provider or transport failure surfaces as a <see cref="DashScopeException"/>.
/// </summary>
public interface IDashScopeClient
{
    /// <summary>Submits a reference-to-video task (always with <c>X-DashScope-Async: enable</c>).</summary>
    public Task<SubmittedTask> SubmitAsync(VideoSynthesisRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queries one task. An expired or unknown id answers <see cref="DashScopeTaskState.Unknown"/>, not an error; a state the
    /// docs do not list answers <see cref="DashScopeTaskState.Other"/> with the string in <see cref="DashScopeTaskStatus.RawState"/>.
    /// </summary>
    public Task<DashScopeTaskStatus> GetTaskAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Cancels a task that is still PENDING; otherwise the provider answers 400 <c>UnsupportedOperation</c>.</summary>
    public Task CancelAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Lists tasks, newest first, with the provider's filters.</summary>
    public Task<DashScopeTaskPage> ListTasksAsync(DashScopeTaskQuery query, CancellationToken cancellationToken = default);
}
