using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using WanFunctions.Api;

namespace WanFunctions.App.Functions;

/// <summary>The HTTP API: POST a job, list jobs, GET one's state, POST a cancel. All logic is in <see cref="VideoJobEndpoints"/>.</summary>
public sealed class VideoJobHttpFunctions(VideoJobEndpoints endpoints)
{
    [Function("StartVideoJob")]
    public async Task<IActionResult> Start(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "videos")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HttpResultAction(await endpoints.StartAsync(request, client, cancellationToken));

    [Function("ListVideoJobs")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "videos")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HttpResultAction(await endpoints.ListAsync(request, client, cancellationToken));

    [Function("GetVideoJob")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "videos/{id}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id,
        CancellationToken cancellationToken) =>
        new HttpResultAction(await endpoints.GetStatusAsync(request, client, id, cancellationToken));

    [Function("CancelVideoJob")]
    public async Task<IActionResult> Cancel(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "videos/{id}/cancel")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id,
        CancellationToken cancellationToken) =>
        new HttpResultAction(await endpoints.CancelAsync(request, client, id, cancellationToken));
}

/// <summary>GET /api/gate: the capacity gate per account (<see cref="GateEndpoints"/>).</summary>
public sealed class GateHttpFunction(GateEndpoints endpoints)
{
    [Function("GetCapacityGate")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "gate")] HttpRequest request,
        CancellationToken cancellationToken) =>
        new HttpResultAction(await endpoints.GetAsync(cancellationToken));
}
