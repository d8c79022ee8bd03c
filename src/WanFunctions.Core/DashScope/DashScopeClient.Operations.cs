using System.Globalization;
using System.Text;
using System.Text.Json;

namespace WanFunctions.DashScope;

// The four calls of the API: submit, query, cancel, list.
public sealed partial class DashScopeClient
{
    /// <inheritdoc />
    public async Task<SubmittedTask> SubmitAsync(VideoSynthesisRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Model, nameof(request));
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Prompt, nameof(request));
        ArgumentNullException.ThrowIfNull(request.ReferenceUrls, nameof(request));

        var json = JsonSerializer.SerializeToUtf8Bytes(DashScopeWire.ToWire(request), DashScopeJsonContext.Default.SubmitRequestDto);
        using var message = NewRequest(HttpMethod.Post, SubmitPath);
        message.Headers.Add("X-DashScope-Async", "enable");
        message.Content = JsonBody(json);

        const string operation = "submit";
        var dto = await SendAsync(message, operation, null, DashScopeJsonContext.Default.TaskResponseDto, cancellationToken, createsTask: true);
        var output = dto.Value.Output;
        if (string.IsNullOrWhiteSpace(output?.TaskId))
        {
            // A 2xx came back, so the provider may well have created the task: the outcome is unknown, not "nothing".
            throw Malformed(operation, null, dto.StatusCode, dto.RequestId, "the answer has no output.task_id", outcomeUnknown: true);
        }

        // The provider answers PENDING; a missing status on an accepted submission still means the task exists.
        var state = output.TaskStatus is null ? DashScopeTaskState.Pending : DashScopeWire.ParseState(output.TaskStatus);
        var requestId = dto.Value.RequestId ?? dto.RequestId;
        LogSubmitted(output.TaskId, state, requestId);
        return new SubmittedTask(output.TaskId, requestId);
    }

    /// <inheritdoc />
    public async Task<DashScopeTaskStatus> GetTaskAsync(string taskId, CancellationToken cancellationToken = default)
    {
        var escaped = EscapeTaskId(taskId);
        using var message = NewRequest(HttpMethod.Get, $"{TasksPath}/{escaped}");

        const string operation = "query";
        var dto = await SendAsync(message, operation, taskId, DashScopeJsonContext.Default.TaskResponseDto, cancellationToken);
        var output = dto.Value.Output;
        var requestId = dto.Value.RequestId ?? dto.RequestId;
        if (output is null || string.IsNullOrWhiteSpace(output.TaskStatus))
        {
            throw Malformed(operation, taskId, dto.StatusCode, requestId, "the answer has no output.task_status");
        }

        // Shown in the job's progress: scrubbed and short like any provider text.
        var rawState = Truncate(SanitizeMessage(output.TaskStatus), MaxRawStateLength);
        if (!DashScopeWire.IsRecognisedState(output.TaskStatus))
        {
            LogUnrecognisedState(taskId, rawState, requestId);
        }

        var state = DashScopeWire.ParseState(output.TaskStatus);
        if (state == DashScopeTaskState.Succeeded && string.IsNullOrWhiteSpace(output.VideoUrl))
        {
            throw Malformed(operation, taskId, dto.StatusCode, requestId, "a SUCCEEDED task without output.video_url");
        }

        var status = new DashScopeTaskStatus(
            TaskId: string.IsNullOrWhiteSpace(output.TaskId) ? taskId : output.TaskId,
            State: state,
            VideoUrl: string.IsNullOrWhiteSpace(output.VideoUrl) ? null : output.VideoUrl,
            Code: output.Code,
            Message: output.Message is null ? null : SanitizeMessage(output.Message),
            SubmitTime: DashScopeWire.ParseTime(output.SubmitTime, _options.ProviderTimeOffset),
            ScheduledTime: DashScopeWire.ParseTime(output.ScheduledTime, _options.ProviderTimeOffset),
            EndTime: DashScopeWire.ParseTime(output.EndTime, _options.ProviderTimeOffset),
            Usage: DashScopeWire.ToUsage(dto.Value.Usage),
            RawState: rawState,
            OrigPrompt: output.OrigPrompt);

        if (state == DashScopeTaskState.Failed)
        {
            LogTaskFailed(status.TaskId, status.Code ?? "(none)", requestId);
        }
        else
        {
            LogQueried(status.TaskId, state, requestId);
        }

        return status;
    }

    /// <inheritdoc />
    public async Task CancelAsync(string taskId, CancellationToken cancellationToken = default)
    {
        var escaped = EscapeTaskId(taskId);
        using var message = NewRequest(HttpMethod.Post, $"{TasksPath}/{escaped}/cancel");
        message.Options.Set(RetryablePostKey, true);

        var dto = await SendAsync(message, "cancel", taskId, DashScopeJsonContext.Default.ErrorResponseDto, cancellationToken, allowEmptyBody: true);
        LogCanceled(taskId, dto.Value?.RequestId ?? dto.RequestId);
    }

    /// <inheritdoc />
    public async Task<DashScopeTaskPage> ListTasksAsync(DashScopeTaskQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.PageNo, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfLessThan(query.PageSize, 1, nameof(query));

        using var message = NewRequest(HttpMethod.Get, TasksPath + BuildListQuery(query, _options.ProviderTimeOffset));
        const string operation = "list";
        var dto = await SendAsync(message, operation, null, DashScopeJsonContext.Default.ListResponseDto, cancellationToken);
        var body = dto.Value;
        var requestId = body.RequestId ?? dto.RequestId;

        var tasks = new List<DashScopeTaskStatus>(body.Data?.Count ?? 0);
        foreach (var item in body.Data ?? [])
        {
            if (item is null || string.IsNullOrWhiteSpace(item.TaskId))
            {
                throw Malformed(operation, null, dto.StatusCode, requestId, "a listed task without task_id");
            }

            tasks.Add(new DashScopeTaskStatus(
                TaskId: item.TaskId,
                State: DashScopeWire.ParseState(item.Status ?? item.TaskStatus),
                SubmitTime: DashScopeWire.ParseTime(item.GmtCreate, _options.ProviderTimeOffset),
                ScheduledTime: DashScopeWire.ParseTime(item.StartTime, _options.ProviderTimeOffset),
                EndTime: DashScopeWire.ParseTime(item.EndTime, _options.ProviderTimeOffset)));
        }

        LogListed(tasks.Count, body.Total ?? tasks.Count, requestId);
        return new DashScopeTaskPage(tasks, body.Total ?? tasks.Count);
    }

    /// <summary>The query string of the list call; the time filters go out as wall clock in <paramref name="providerOffset"/>.</summary>
    internal static string BuildListQuery(DashScopeTaskQuery query, TimeSpan providerOffset)
    {
        var sb = new StringBuilder("?page_no=")
            .Append(query.PageNo.ToString(CultureInfo.InvariantCulture))
            .Append("&page_size=")
            .Append(query.PageSize.ToString(CultureInfo.InvariantCulture));
        if (query.StartTime is { } start)
        {
            sb.Append("&start_time=").Append(DashScopeWire.FormatFilterTime(start, providerOffset));
        }

        if (query.EndTime is { } end)
        {
            sb.Append("&end_time=").Append(DashScopeWire.FormatFilterTime(end, providerOffset));
        }

        if (!string.IsNullOrWhiteSpace(query.ModelName))
        {
            sb.Append("&model_name=").Append(Uri.EscapeDataString(query.ModelName));
        }

        return sb.ToString();
    }
}
