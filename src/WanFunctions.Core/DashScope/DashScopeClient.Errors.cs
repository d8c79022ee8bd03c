using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace WanFunctions.DashScope;

// Failures become DashScopeExceptions: HTTP errors, transport faults and garbled answers, classified as transient or not and
// (for submit) as outcome known or unknown; provider text is scrubbed of URLs and the key.
public sealed partial class DashScopeClient
{
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
}
