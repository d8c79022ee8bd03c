using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace WanFunctions.IntegrationTests;

/// <summary>
/// The OpenAPI document the local host serves at /openapi/v1.json is the one checked in as docs/openapi.json, and it
/// lists exactly the local host's /api routes. (WanFunctions.Infra.Tests holds the same file to the Functions app's
/// HTTP triggers and to requests.http.) After a change to the API, regenerate the file:
/// <c>WAN_UPDATE_OPENAPI=1 bash tests/run-tests.sh --filter "FullyQualifiedName~OpenApiContractTests"</c>.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class OpenApiContractTests(AzuriteFixture azurite)
{
    private static string CheckedInPath => Path.Combine(AzuriteFixture.RepoRoot(), "docs", "openapi.json");

    [Fact]
    public async Task The_served_document_is_the_checked_in_docs_openapi_json()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);

        var served = (await world.Api.GetStringAsync("openapi/v1.json")).ReplaceLineEndings("\n").TrimEnd() + "\n";
        if (Environment.GetEnvironmentVariable("WAN_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(CheckedInPath, served);
        }

        var checkedIn = File.Exists(CheckedInPath) ? (await File.ReadAllTextAsync(CheckedInPath)).ReplaceLineEndings("\n") : "";
        Assert.True(served == checkedIn,
            "docs/openapi.json is not the document the local host serves. If the API changed on purpose, regenerate it: " +
            "WAN_UPDATE_OPENAPI=1 bash tests/run-tests.sh --filter \"FullyQualifiedName~OpenApiContractTests\"");
    }

    [Fact]
    public async Task The_document_lists_exactly_the_local_hosts_api_routes_and_methods()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);

        var routes = world.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetRequiredMetadata<HttpMethodMetadata>().HttpMethods.Select(m => $"{m} {e.RoutePattern.RawText}"))
            .Order(StringComparer.Ordinal);
        var document = JsonNode.Parse(await world.Api.GetStringAsync("openapi/v1.json"))!;
        var operations = document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(operation => $"{operation.Key.ToUpperInvariant()} {path.Key}"))
            .Order(StringComparer.Ordinal);

        Assert.Equal(routes, operations);
        Assert.Contains("POST /api/videos/{id}/cancel", operations);
    }
}
