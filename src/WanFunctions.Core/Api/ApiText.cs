using System.Text.RegularExpressions;
using WanFunctions.DashScope;

namespace WanFunctions.Api;

/// <summary>Text that goes to callers: failure messages without stack traces or signed URLs, bounded echoes.</summary>
public static partial class ApiText
{
    /// <summary>The longest failure message a caller sees, in UTF-16 units (the rest is cut and marked with "…").</summary>
    public const int MaxMessageLength = 500;

    /// <summary>
    /// A failure message fit for a caller: cut before the first stack-trace line (<c>   at …(</c>, <c>--- End of …</c>),
    /// URLs redacted (<see cref="UrlRedactor"/>), at most <see cref="MaxMessageLength"/> characters;
    /// <paramref name="fallback"/> when nothing is left.
    /// </summary>
    public static string SafeMessage(string? text, string fallback)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        var trace = StackTraceLine().Match(text);
        var message = UrlRedactor.RedactUrlsIn((trace.Success ? text[..trace.Index] : text).Trim());
        return message.Length == 0 ? fallback : Cut(message, MaxMessageLength);
    }

    /// <summary>A caller's value quoted for an error message, cut to <paramref name="max"/> characters.</summary>
    public static string Echo(string value, int max) => $"\"{Cut(value, max)}\"";

    private static string Cut(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var cut = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max; // never split a surrogate pair
        return text[..cut] + "…";
    }

    [GeneratedRegex(@"^[ \t]*(?:at [^\r\n]*\(|--- End of )", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex StackTraceLine();
}
