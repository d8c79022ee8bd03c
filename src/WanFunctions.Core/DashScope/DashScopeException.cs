using System.Net;

namespace WanFunctions.DashScope;

/// <summary>
/// A failed call to DashScope, with the provider's error code. The message never holds the API key,
/// a SAS token or a signed URL: only the provider's code, its message and the request id.
/// </summary>
public sealed class DashScopeException : Exception
{
    public DashScopeException(string code, string message, HttpStatusCode? statusCode, bool isTransient,
        string? requestId = null, Exception? innerException = null, bool outcomeUnknown = false)
        : base($"DashScope {code}: {message}", innerException)
    {
        OutcomeUnknown = outcomeUnknown;
        Code = code;
        ProviderMessage = message;
        StatusCode = statusCode;
        IsTransient = isTransient;
        RequestId = requestId;
    }

    /// <summary>The provider's code (<c>InvalidParameter</c>, <c>Throttling</c>…) or ours for transport faults (<c>Timeout</c>, <c>ConnectionFailed</c>, <c>MalformedResponse</c>).</summary>
    public string Code { get; }

    public string ProviderMessage { get; }

    /// <summary>Null when no HTTP answer arrived (timeout, connection failure).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>True for 408, 429, 5xx, timeouts and connection failures: worth another try later.</summary>
    public bool IsTransient { get; }

    public string? RequestId { get; }

    /// <summary>
    /// Submit only: true when the request may have reached the provider and no verdict came back, so a task may exist
    /// (and be billed) although no task id did — a timeout or a reset after sending, an HTTP error without the
    /// provider's <c>{code,message}</c> body, a 2xx without a readable <c>output.task_id</c>. Such a submit must be
    /// settled (the provider's task list) and never resent blindly. False when the provider certainly created nothing:
    /// its documented error body (429 <c>Throttling</c>, 400 <c>InvalidParameter</c>, 500 <c>InternalError</c>…), or
    /// a failure before the request left (connection refused, name resolution, TLS, open circuit, local rate limiter).
    /// Always false for query, list and cancel, which create nothing.
    /// </summary>
    public bool OutcomeUnknown { get; }
}
