using Microsoft.Extensions.Logging;

namespace WanFunctions.DashScope;

// Log lines: task ids, states, codes and request ids only, never a URL or the key.
public sealed partial class DashScopeClient
{
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
