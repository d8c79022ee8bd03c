using System.ComponentModel.DataAnnotations;

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

    /// <summary>
    /// Azure's rule for container names: 3-63 characters of <c>a-z</c>, <c>0-9</c> and <c>-</c>, starting and ending with a
    /// letter or digit, no <c>--</c>. The one copy of the rule: job references use it here, options through
    /// <see cref="ContainerNameAttribute"/>.
    /// </summary>
    public static bool IsValidContainerName(string name) =>
        name.Length is >= 3 and <= 63
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
        && name[0] != '-'
        && name[^1] != '-'
        && !name.Contains("--", StringComparison.Ordinal);
}

/// <summary>
/// A setting that names a blob container must follow <see cref="BlobLocation.IsValidContainerName"/>. Null or empty
/// passes, as with the other data annotations: pair it with <see cref="RequiredAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ContainerNameAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) => value is not string { Length: > 0 } name || BlobLocation.IsValidContainerName(name);
}
