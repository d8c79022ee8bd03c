using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace WanFunctions.DashScope;

/// <summary>
/// Typed <see cref="HttpClient"/> over DashScope's asynchronous video-synthesis API. Register it with
/// <see cref="DashScopeServiceCollectionExtensions.AddDashScopeClient"/>, which adds the resilience pipeline
/// (retries for query, list and cancel only; submit is sent once).
/// </summary>
/// <remarks>
/// Nothing secret leaves this class in a log line or an exception message: no API key, no reference URL
/// (they may carry SAS tokens) and no video URL (signed). Provider messages are scrubbed of URLs and truncated.
/// </remarks>
public sealed partial class DashScopeClient : IDashScopeClient
{
    /// <summary>
    /// Marks a POST as safe to retry. The retry strategy is disabled for unsafe methods; cancel is a POST
    /// but idempotent, so it carries this flag. Submit never does.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> RetryablePostKey = new("WanFunctions.DashScope.RetryablePost");

    internal const int MaxMessageLength = 300;
    internal const int MaxRawStateLength = 40;
    private const string SubmitPath = "api/v1/services/aigc/video-generation/video-synthesis";
    private const string TasksPath = "api/v1/tasks";

    private readonly HttpClient _http;
    private readonly DashScopeOptions _options;
    private readonly ILogger<DashScopeClient> _logger;
    private readonly Uri _base;

    public DashScopeClient(HttpClient httpClient, IOptions<DashScopeOptions> options, ILogger<DashScopeClient> logger)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _http = httpClient;
        _options = options.Value;
        _logger = logger;

        var baseUrl = _options.BaseUrl ?? throw new InvalidOperationException($"{nameof(DashScopeOptions)}.{nameof(DashScopeOptions.BaseUrl)} is not set.");
        if (!baseUrl.IsAbsoluteUri)
        {
            throw new InvalidOperationException($"{nameof(DashScopeOptions)}.{nameof(DashScopeOptions.BaseUrl)} must be absolute.");
        }

        // Keep a path prefix: "https://gw/dashscope" + "api/v1/…" must give "https://gw/dashscope/api/v1/…".
        var text = baseUrl.GetLeftPart(UriPartial.Path);
        _base = new Uri(text.EndsWith('/') ? text : text + "/", UriKind.Absolute);
    }

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
        var dto = await SendAsync(message, operation, null, DashScopeJsonContext.Default.TaskResponseDto, cancellationToken, createsTask: true)
            .ConfigureAwait(false);
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
        var dto = await SendAsync(message, operation, taskId, DashScopeJsonContext.Default.TaskResponseDto, cancellationToken).ConfigureAwait(false);
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

        var dto = await SendAsync(message, "cancel", taskId, DashScopeJsonContext.Default.ErrorResponseDto, cancellationToken, allowEmptyBody: true)
            .ConfigureAwait(false);
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
        var dto = await SendAsync(message, operation, null, DashScopeJsonContext.Default.ListResponseDto, cancellationToken).ConfigureAwait(false);
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

    private HttpRequestMessage NewRequest(HttpMethod method, string relative)
    {
        var message = new HttpRequestMessage(method, new Uri(_base, relative));
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return message;
    }

    private static ByteArrayContent JsonBody(byte[] json)
    {
        var content = new ByteArrayContent(json);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static string EscapeTaskId(string taskId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        var escaped = Uri.EscapeDataString(taskId.Trim());
        // "." and ".." would be removed as dot segments and address another route.
        if (escaped.All(c => c == '.'))
        {
            throw new ArgumentException("Not a task id.", nameof(taskId));
        }

        return escaped;
    }

    private readonly record struct Answer<T>(T Value, HttpStatusCode StatusCode, string? RequestId);

    /// <param name="createsTask">
    /// True for submit: failures are then classified as "certainly nothing created" or "outcome unknown"
    /// (<see cref="DashScopeException.OutcomeUnknown"/>).
    /// </param>
    private async Task<Answer<T>> SendAsync<T>(HttpRequestMessage message, string operation, string? taskId,
        JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken, bool allowEmptyBody = false, bool createsTask = false)
    {
        cancellationToken.ThrowIfCancellationRequested(); // never start a submit the caller has already given up on

        HttpResponseMessage response;
        string body;
        try
        {
            // The body is buffered inside SendAsync, so it is read within the attempt timeout.
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the caller's own cancellation is not a provider failure
        }
        // A timeout may strike after the request went out (the provider accepts, its answer is late): outcome unknown.
        // An open circuit and the local rate limiter refuse before anything is sent.
        catch (OperationCanceledException ex)
        {
            throw Transport(operation, taskId, "Timeout", "The request to DashScope timed out.", ex, outcomeUnknown: createsTask);
        }
        catch (TimeoutRejectedException ex)
        {
            throw Transport(operation, taskId, "Timeout", "The request to DashScope timed out.", ex, outcomeUnknown: createsTask);
        }
        catch (BrokenCircuitException ex)
        {
            throw Transport(operation, taskId, "CircuitOpen", "Calls to DashScope are suspended after repeated failures.", ex);
        }
        catch (RateLimiterRejectedException ex)
        {
            throw Transport(operation, taskId, "RateLimited", "The local rate limiter rejected the call to DashScope.", ex);
        }
        catch (HttpRequestException ex)
        {
            throw Transport(operation, taskId, "ConnectionFailed", "DashScope could not be reached.", ex,
                outcomeUnknown: createsTask && !FailedBeforeSending(ex));
        }

        using (response)
        {
            var statusCode = response.StatusCode;
            var headerRequestId = HeaderRequestId(response);
            if (!response.IsSuccessStatusCode)
            {
                throw HttpError(operation, taskId, response, body, headerRequestId, createsTask);
            }

            if (allowEmptyBody && string.IsNullOrWhiteSpace(body))
            {
                return new Answer<T>(default!, statusCode, headerRequestId);
            }

            T? value;
            try
            {
                value = JsonSerializer.Deserialize(body, typeInfo);
            }
            catch (JsonException ex)
            {
                if (allowEmptyBody)
                {
                    return new Answer<T>(default!, statusCode, headerRequestId);
                }

                throw Malformed(operation, taskId, statusCode, headerRequestId, "the answer is not valid JSON", ex, outcomeUnknown: createsTask);
            }

            if (value is null)
            {
                if (allowEmptyBody)
                {
                    return new Answer<T>(default!, statusCode, headerRequestId);
                }

                throw Malformed(operation, taskId, statusCode, headerRequestId, "the answer is empty", outcomeUnknown: createsTask);
            }

            return new Answer<T>(value, statusCode, headerRequestId);
        }
    }

    private DashScopeException HttpError(string operation, string? taskId, HttpResponseMessage response, string body, string? headerRequestId,
        bool createsTask)
    {
        var statusCode = response.StatusCode;
        ErrorResponseDto? error = null;
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                error = JsonSerializer.Deserialize(body, DashScopeJsonContext.Default.ErrorResponseDto);
            }
            catch (JsonException)
            {
                // A gateway's HTML page or similar: fall back to the status code.
            }
        }

        var code = string.IsNullOrWhiteSpace(error?.Code) ? FallbackCode(statusCode) : error.Code.Trim();
        var providerMessage = string.IsNullOrWhiteSpace(error?.Message)
            ? $"HTTP {(int)statusCode} without a DashScope error body."
            : SanitizeMessage(error.Message);
        var requestId = error?.RequestId ?? headerRequestId;
        var transient = IsTransientStatus(statusCode);
        // Only the provider's own error body is its verdict that nothing was created; a gateway's page or an empty
        // 502 may come from behind the point where the task was already accepted.
        var providerVerdict = !string.IsNullOrWhiteSpace(error?.Code) && !string.IsNullOrWhiteSpace(error?.Message);

        LogHttpError(operation, taskId, (int)statusCode, Truncate(code, 80), transient, requestId);
        return new DashScopeException(code, providerMessage, statusCode, transient, requestId,
            outcomeUnknown: createsTask && !providerVerdict);
    }

    private DashScopeException Transport(string operation, string? taskId, string code, string message, Exception inner,
        bool outcomeUnknown = false)
    {
        LogTransportError(operation, taskId, code, inner.GetType().Name);
        return new DashScopeException(code, message, statusCode: null, isTransient: true, requestId: null,
            innerException: inner, outcomeUnknown: outcomeUnknown);
    }

    /// <summary>A garbled answer is transient: one more try is worth it.</summary>
    private DashScopeException Malformed(string operation, string? taskId, HttpStatusCode statusCode, string? requestId, string what,
        Exception? inner = null, bool outcomeUnknown = false)
    {
        LogMalformed(operation, taskId, (int)statusCode, requestId);
        // System.Text.Json messages name the JSON path and position, never the values, so the inner exception is safe.
        return new DashScopeException("MalformedResponse", $"DashScope sent an unexpected answer: {what}.", statusCode,
            isTransient: true, requestId, innerException: inner, outcomeUnknown: outcomeUnknown);
    }

    /// <summary>
    /// True when the connection could not be made at all (DNS, refused, TLS handshake): not a byte of the request
    /// was sent. A reset or an early end after connecting is not this: the request may have been delivered.
    /// </summary>
    internal static bool FailedBeforeSending(HttpRequestException ex) =>
        ex.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError
        || ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound };

    internal static bool IsTransientStatus(HttpStatusCode statusCode) =>
        statusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)statusCode >= 500;

    private static string FallbackCode(HttpStatusCode statusCode) =>
        Enum.IsDefined(statusCode) ? statusCode.ToString() : "Http" + ((int)statusCode).ToString(CultureInfo.InvariantCulture);

    private static string? HeaderRequestId(HttpResponseMessage response)
    {
        foreach (var name in (ReadOnlySpan<string>)["X-DashScope-Request-Id", "X-Request-Id", "x-acs-request-id"])
        {
            if (response.Headers.TryGetValues(name, out var values) && values.FirstOrDefault() is { Length: > 0 } id)
            {
                return Truncate(id, 100);
            }
        }

        return null;
    }

    /// <summary>Provider text may echo a reference URL (with its SAS token) or, in theory, the key: scrub both, then truncate.</summary>
    private string SanitizeMessage(string message)
    {
        var text = UrlRedactor.RedactUrlsIn(message);
        if (_options.ApiKey is { Length: >= 4 } key)
        {
            text = text.Replace(key, "***", StringComparison.Ordinal);
        }

        return Truncate(text.Trim(), MaxMessageLength);
    }

    private static string Truncate(string value, int max) => value.Length <= max ? value : string.Concat(value.AsSpan(0, max - 1), "…");

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "DashScope task {TaskId} submitted, state {State}, request {RequestId}")]
    private partial void LogSubmitted(string taskId, DashScopeTaskState state, string? requestId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "DashScope task {TaskId} is {State}, request {RequestId}")]
    private partial void LogQueried(string taskId, DashScopeTaskState state, string? requestId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "DashScope task {TaskId} FAILED with code {ErrorCode}, request {RequestId}")]
    private partial void LogTaskFailed(string taskId, string errorCode, string? requestId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "DashScope task {TaskId} canceled, request {RequestId}")]
    private partial void LogCanceled(string taskId, string? requestId);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "DashScope listed {Count} of {Total} tasks, request {RequestId}")]
    private partial void LogListed(int count, int total, string? requestId);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "DashScope task {TaskId} reported an unrecognised state {RawState}, read as Other (not terminal), request {RequestId}")]
    private partial void LogUnrecognisedState(string taskId, string rawState, string? requestId);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "DashScope {Operation} failed for task {TaskId}: HTTP {StatusCode} {ErrorCode}, transient {IsTransient}, request {RequestId}")]
    private partial void LogHttpError(string operation, string? taskId, int statusCode, string errorCode, bool isTransient, string? requestId);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "DashScope {Operation} failed for task {TaskId}: {ErrorCode} ({ExceptionType})")]
    private partial void LogTransportError(string operation, string? taskId, string errorCode, string exceptionType);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "DashScope {Operation} for task {TaskId} got a malformed answer, HTTP {StatusCode}, request {RequestId}")]
    private partial void LogMalformed(string operation, string? taskId, int statusCode, string? requestId);
}
