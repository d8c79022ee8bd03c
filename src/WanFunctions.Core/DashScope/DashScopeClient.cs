using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
/// This file holds the HTTP plumbing; the calls are in <c>DashScopeClient.Operations.cs</c>, failure classification and
/// scrubbing in <c>DashScopeClient.Errors.cs</c>, log lines in <c>DashScopeClient.Logging.cs</c>.
/// </remarks>
public sealed partial class DashScopeClient : IDashScopeClient
{
    /// <summary>
    /// Marks a POST as safe to retry. The retry strategy is disabled for unsafe methods; cancel is a POST
    /// but idempotent, so it carries this flag. Submit never does.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> RetryablePostKey = new("WanFunctions.DashScope.RetryablePost");

    /// <summary>The call's operation (<c>submit</c>, <c>query</c>, <c>cancel</c>, <c>list</c>), for the provider-call metric.</summary>
    public static readonly HttpRequestOptionsKey<string> OperationKey = new("WanFunctions.DashScope.Operation");

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
        message.Options.Set(OperationKey, operation);

        HttpResponseMessage response;
        string body;
        try
        {
            // The body is buffered inside SendAsync, so it is read within the attempt timeout.
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
            body = await response.Content.ReadAsStringAsync(cancellationToken);
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
}
