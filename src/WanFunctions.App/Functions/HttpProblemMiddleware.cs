using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace WanFunctions.App.Functions;

/// <summary>
/// An HTTP function that throws answers an RFC 9457 problem-details 500 without exception details (no type,
/// message or stack trace), like the local host's exception handler; the exception is logged. Other triggers
/// are left alone: their failures stay failures, for the host's retries.
/// </summary>
public sealed partial class HttpProblemMiddleware(ILogger<HttpProblemMiddleware> log) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (context.GetHttpContext() is { Response.HasStarted: false } http)
        {
            LogFunctionFailed(log, ex, context.FunctionDefinition?.Name, context.InvocationId);
            http.Response.Clear();
            await Results.Problem(statusCode: StatusCodes.Status500InternalServerError,
                title: "An error occurred while processing your request.").ExecuteAsync(http);
        }
    }
}

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class HttpProblemMiddleware
{
    [LoggerMessage(Level = LogLevel.Error, Message = "HTTP function {Function} failed (invocation {InvocationId})")]
    private static partial void LogFunctionFailed(ILogger logger, Exception exception, string? function, string invocationId);
}
