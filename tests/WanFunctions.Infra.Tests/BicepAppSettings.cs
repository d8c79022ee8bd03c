using System.Text.RegularExpressions;

namespace WanFunctions.Infra.Tests;

/// <summary>
/// Reads the app settings the Bicep sets: the <c>properties</c> object of each <c>config</c> resource named
/// <c>'appsettings'</c> (Microsoft.Web/sites/config). Deliberately plain text parsing: top-level keys of that one
/// object literal, quoted or not, with the source text of their values.
/// </summary>
internal static partial class BicepAppSettings
{
    public sealed record Setting(string Name, string Value, string File, int Line);

    public static IReadOnlyList<Setting> ReadAll() =>
        Repo.BicepFiles().SelectMany(f => Read(f, File.ReadAllText(f))).ToList();

    public static IEnumerable<Setting> Read(string file, string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!AppSettingsName().IsMatch(lines[i]))
            {
                continue;
            }

            // The resource's properties: { ... } follows its name.
            var start = Array.FindIndex(lines, i + 1, l => PropertiesOpen().IsMatch(l));
            if (start < 0)
            {
                throw new FormatException($"{Repo.Relative(file)}:{i + 1}: appsettings resource without a 'properties: {{' block.");
            }

            var depth = 0;
            for (var j = start; j < lines.Length; j++)
            {
                var line = StripComment(lines[j]);
                if (j > start && depth == 1 && Key().Match(line) is { Success: true } key)
                {
                    var name = key.Groups["quoted"].Success ? key.Groups["quoted"].Value : key.Groups["plain"].Value;
                    yield return new Setting(name, key.Groups["value"].Value.Trim(), Repo.Relative(file), j + 1);
                }

                depth += line.Count(c => c == '{') - line.Count(c => c == '}');
                if (depth == 0)
                {
                    break;
                }
            }
        }
    }

    private static string StripComment(string line)
    {
        // Good enough for this code base: '//' inside a string literal only occurs in URLs like 'https://…'.
        var index = line.IndexOf("//", StringComparison.Ordinal);
        return index >= 0 && !line[..index].Contains('\'') ? line[..index] : line;
    }

    [GeneratedRegex(@"^\s*name:\s*'appsettings'\s*$")]
    private static partial Regex AppSettingsName();

    [GeneratedRegex(@"^\s*properties:\s*\{\s*$")]
    private static partial Regex PropertiesOpen();

    [GeneratedRegex(@"^\s*(?:'(?<quoted>[^']+)'|(?<plain>[A-Za-z_][A-Za-z0-9_]*))\s*:(?<value>.*)$")]
    private static partial Regex Key();
}
