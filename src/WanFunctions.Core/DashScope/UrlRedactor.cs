using System.Text.RegularExpressions;

namespace WanFunctions.DashScope;

/// <summary>
/// Makes URLs safe to log: keeps scheme, host, port and path, drops user info, and replaces any
/// query or fragment (SAS tokens, OSS signatures) with <c>?…</c>.
/// </summary>
public static partial class UrlRedactor
{
    /// <summary>What replaces a query string or fragment.</summary>
    public const string QueryPlaceholder = "?…";

    /// <summary>
    /// <c>https://acct.blob.core.windows.net/c/a.mp4?sv=…&amp;sig=…</c> → <c>https://acct.blob.core.windows.net/c/a.mp4?…</c>.
    /// Text that is not an absolute URL is cut at its first <c>?</c> or <c>#</c>. Null or empty gives an empty string.
    /// </summary>
    public static string Redact(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return string.Empty;
        }

        // On Unix "/path" parses as an absolute file: URI; only treat real "scheme:" strings as URLs.
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && !(uri.IsFile && !url.StartsWith("file:", StringComparison.OrdinalIgnoreCase)))
        {
            return Redact(uri);
        }

        var cut = url.IndexOfAny(['?', '#']);
        return cut >= 0 ? string.Concat(url.AsSpan(0, cut), QueryPlaceholder) : url;
    }

    /// <summary>Same as <see cref="Redact(string?)"/> for a <see cref="Uri"/>.</summary>
    public static string Redact(Uri? uri)
    {
        if (uri is null)
        {
            return string.Empty;
        }

        if (!uri.IsAbsoluteUri)
        {
            return Redact(uri.OriginalString);
        }

        var kept = uri.GetComponents(
            UriComponents.Scheme | UriComponents.Host | UriComponents.Port | UriComponents.Path,
            UriFormat.UriEscaped);
        return uri.Query.Length > 0 || uri.Fragment.Length > 0 ? kept + QueryPlaceholder : kept;
    }

    /// <summary>Redacts every http(s)/oss URL found inside free text (for example a provider's error message).</summary>
    public static string RedactUrlsIn(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        return EmbeddedUrl().Replace(text, static m => Redact(m.Value));
    }

    [GeneratedRegex(@"\b(?:https?|oss)://[^\s""'<>]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex EmbeddedUrl();
}
