using System.Buffers.Text;
using System.Text;

namespace WanFunctions.Api;

/// <summary>
/// The list's continuation token: the durable backend's own token, prefixed and base64url-encoded. The backend's token
/// is opaque and it answers a mangled one with an empty page; wrapping it lets the API tell a token it never returned
/// (a 400) from the end of the list.
/// </summary>
public static class PageToken
{
    private const string Prefix = "wan1:";

    /// <summary>The token to hand out for the backend's <paramref name="backendToken"/>; null on the last page.</summary>
    public static string? Encode(string? backendToken) =>
        string.IsNullOrEmpty(backendToken) ? null : Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Prefix + backendToken));

    /// <summary>The backend's token inside <paramref name="token"/>; false when it is not one <see cref="Encode"/> made.</summary>
    public static bool TryDecode(string token, out string? backendToken)
    {
        backendToken = null;
        if (token.Length is 0 or > 8192 || !Base64Url.IsValid(token))
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(token));
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        if (!text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length == Prefix.Length)
        {
            return false;
        }

        backendToken = text[Prefix.Length..];
        return true;
    }
}
