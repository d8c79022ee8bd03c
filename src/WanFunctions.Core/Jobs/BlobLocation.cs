namespace WanFunctions.Jobs;

/// <summary>
/// A reference's <c>blob</c>: "container/path" in our storage account. Checked strictly because the
/// path is later used to build a blob URL and a SAS.
/// </summary>
public static class BlobLocation
{
    private const int MaxBlobNameLength = 1024;

    /// <summary>Splits "container/path" at the first '/'; false when there is no '/'.</summary>
    public static bool TrySplit(string blob, out string container, out string name)
    {
        var slash = blob.IndexOf('/');
        if (slash < 0)
        {
            container = blob;
            name = "";
            return false;
        }

        container = blob[..slash];
        name = blob[(slash + 1)..];
        return true;
    }

    /// <summary>Null when <paramref name="blob"/> is a valid "container/path", else what is wrong.</summary>
    public static string? Validate(string blob)
    {
        if (!TrySplit(blob, out var container, out var name))
        {
            return "blob must be \"container/path\", e.g. \"references/actor.mp4\".";
        }

        if (!IsValidContainerName(container))
        {
            return "The container name must be 3-63 characters of lowercase letters, digits and hyphens, " +
                   "start and end with a letter or digit, and have no two hyphens in a row.";
        }

        if (name.Length == 0)
        {
            return "The blob path after the container name must not be empty.";
        }

        if (name.Length > MaxBlobNameLength)
        {
            return $"The blob path must be at most {MaxBlobNameLength} characters.";
        }

        // ".." would let a job point outside the folder it names; '\' is treated as '/' by some tools.
        if (name.Split('/', '\\').Any(segment => segment == ".."))
        {
            return "The blob path must not contain \"..\" segments.";
        }

        return null;
    }

    // Azure rules: 3-63 chars, [a-z0-9-], starts and ends with a letter or digit, no "--".
    private static bool IsValidContainerName(string name) =>
        name.Length is >= 3 and <= 63
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
        && name[0] != '-'
        && name[^1] != '-'
        && !name.Contains("--", StringComparison.Ordinal);
}
