using System.Globalization;
using WanFunctions.Telemetry;

namespace WanFunctions.DashScope;

/// <summary>
/// Counts every HTTP attempt to DashScope in <see cref="WorkflowTelemetry.ProviderCalls"/>, by operation
/// (<c>submit</c>, <c>query</c>, <c>cancel</c>, <c>list</c>, from <see cref="DashScopeClient.OperationKey"/>) and status
/// code, 429 included; <c>0</c> when no answer came (timeout, connection refused). It sits inside the resilience
/// handler, so each retry is one more call, as the provider counts them.
/// </summary>
internal sealed class ProviderCallMetricsHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var operation = request.Options.TryGetValue(DashScopeClient.OperationKey, out var named) ? named : "other";
        var status = 0;
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            status = (int)response.StatusCode;
            return response;
        }
        finally
        {
            WorkflowTelemetry.ProviderCalls.Add(1,
                new KeyValuePair<string, object?>(WorkflowTelemetry.Tags.Operation, operation),
                new KeyValuePair<string, object?>(WorkflowTelemetry.Tags.StatusCode, status.ToString(CultureInfo.InvariantCulture)));
        }
    }
}
