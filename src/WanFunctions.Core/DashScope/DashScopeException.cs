using System.Net;

namespace WanFunctions.DashScope;

/// <summary>
/// A failed call to DashScope, with the provider's error code. The message never holds the API key,
/// a SAS token or a signed URL: only the provider's code, its message and the request id.
/// </summary>
public sealed class DashScopeException : Exception
{
    public DashScopeException(string code, string message, HttpStatusCode? statusCode, bool isTransient,
        string? requestId = null, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base($"DashScope {code}: {message}", innerException)
    {
        Code = code;
        ProviderMessage = message;
        StatusCode = statusCode;
        IsTransient = isTransient;
        RequestId = requestId;
        RetryAfter = retryAfter;
    }

    /// <summary>The provider's code (<c>InvalidParameter</c>, <c>Throttling</c>…) or ours for transport faults (<c>Timeout</c>, <c>ConnectionFailed</c>, <c>MalformedResponse</c>).</summary>
    public string Code { get; }

    public string ProviderMessage { get; }

    /// <summary>Null when no HTTP answer arrived (timeout, connection failure).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>True for 408, 429, 5xx, timeouts and connection failures: worth another try later.</summary>
    public bool IsTransient { get; }

    public string? RequestId { get; }

    /// <summary>The provider's <c>Retry-After</c>, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; }
}
