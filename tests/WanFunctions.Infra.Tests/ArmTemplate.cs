using System.Text.Json;

namespace WanFunctions.Infra.Tests;

/// <summary>Walks compiled ARM JSON, nested deployments (Bicep modules) included.</summary>
internal static class ArmTemplate
{
    public sealed record Resource(string Type, JsonElement Element)
    {
        public JsonElement Properties => Element.TryGetProperty("properties", out var p) ? p : default;
    }

    public static IReadOnlyList<Resource> AllResources(JsonDocument template)
    {
        var found = new List<Resource>();
        Collect(template.RootElement, found);
        return found;
    }

    public static IEnumerable<Resource> OfType(this IEnumerable<Resource> resources, string type) =>
        resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    private static void Collect(JsonElement template, List<Resource> found)
    {
        if (!template.TryGetProperty("resources", out var resources))
        {
            return;
        }

        // Plain templates have an array; symbolic-name templates (languageVersion 2.0) an object.
        var items = resources.ValueKind == JsonValueKind.Array
            ? resources.EnumerateArray().ToList()
            : resources.EnumerateObject().Select(p => p.Value).ToList();

        foreach (var resource in items)
        {
            var type = resource.GetProperty("type").GetString()!;
            found.Add(new Resource(type, resource));
            if (type.Equals("Microsoft.Resources/deployments", StringComparison.OrdinalIgnoreCase)
                && resource.GetProperty("properties").TryGetProperty("template", out var nested))
            {
                Collect(nested, found);
            }
        }
    }
}
