using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace WanFunctions.Infra.Tests;

/// <summary>
/// docs/openapi.json (the local host serves it and an integration test keeps the file equal to it) describes the
/// Functions app too: its operations are exactly the app's HTTP triggers (functions.metadata; routes under the default
/// "api" prefix), and src/WanFunctions.App/requests.http has a request for each, with the host and key as variables.
/// </summary>
public sealed partial class ApiContractTests
{
    private static readonly string RequestsHttp = Path.Combine(Repo.Root, "src", "WanFunctions.App", "requests.http");

    /// <summary>"POST /api/videos/{id}/cancel", … for every operation of the checked-in document.</summary>
    private static List<string> DocumentOperations()
    {
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "docs", "openapi.json")))!;
        return document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(operation => $"{operation.Key.ToUpperInvariant()} {path.Key}"))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    [Fact]
    public void The_documents_operations_are_exactly_the_functions_apps_http_triggers()
    {
        var triggers = FunctionsMetadataTests.Metadata.Value
            .SelectMany(f => f!["bindings"]!.AsArray())
            .Where(b => (string)b!["type"]! == "httpTrigger")
            .SelectMany(b => b!["methods"]!.AsArray().Select(m => $"{((string)m!).ToUpperInvariant()} /api/{(string)b["route"]!}"))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(DocumentOperations(), triggers);
    }

    [Fact]
    public void Requests_http_has_a_request_for_every_operation_with_the_host_and_key_as_variables()
    {
        var text = File.ReadAllText(RequestsHttp);
        var requests = RequestLine().Matches(text)
            .Select(m => (Method: m.Groups["method"].Value, Path: Variable().Replace(m.Groups["url"].Value.Replace("{{base}}", "/api", StringComparison.Ordinal), "VAR")))
            .ToList();

        foreach (var operation in DocumentOperations())
        {
            var (method, path) = (operation[..operation.IndexOf(' ', StringComparison.Ordinal)], operation[(operation.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
            var pattern = new Regex("^" + Regex.Replace(Regex.Escape(path), @"\\\{\w+}", "[^/?]+") + @"(\?.*)?$");
            Assert.True(requests.Any(r => r.Method == method && pattern.IsMatch(r.Path)), $"requests.http has no request for {operation}.");
        }

        Assert.Matches(@"(?m)^@host = \S+$", text);
        Assert.Matches(@"(?m)^@key = \S+$", text);
        Assert.All(Blocks(text).Where(b => b.Contains("{{base}}", StringComparison.Ordinal)),
            block => Assert.Contains("x-functions-key: {{key}}", block, StringComparison.Ordinal));
    }

    private static IEnumerable<string> Blocks(string text) => text.Split("###").Skip(1);

    [GeneratedRegex(@"(?m)^(?<method>GET|POST|PUT|PATCH|DELETE) (?<url>\S+)")]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"\{\{[^}]+\}\}")]
    private static partial Regex Variable();
}
