namespace WanFunctions.Jobs;

/// <summary>How a reference's kind is spelled in jobs and inferred from file names.</summary>
public static class ReferenceKinds
{
    public const string Image = "image";
    public const string Video = "video";

    // The formats the provider documents: videos MP4/MOV; images JPEG, PNG, BMP, WEBP.
    private static readonly Dictionary<string, ReferenceKind> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".mp4"] = ReferenceKind.Video,
        [".mov"] = ReferenceKind.Video,
        [".jpg"] = ReferenceKind.Image,
        [".jpeg"] = ReferenceKind.Image,
        [".png"] = ReferenceKind.Image,
        [".bmp"] = ReferenceKind.Image,
        [".webp"] = ReferenceKind.Image,
    };

    public const string KnownExtensionsText = ".mp4, .mov (video); .jpg, .jpeg, .png, .bmp, .webp (image)";

    /// <summary>Parses an explicit <c>kind</c>: exactly "image" or "video".</summary>
    public static bool TryParse(string? text, out ReferenceKind kind)
    {
        switch (text)
        {
            case Image: kind = ReferenceKind.Image; return true;
            case Video: kind = ReferenceKind.Video; return true;
            default: kind = default; return false;
        }
    }

    /// <summary>The kind told by the extension of a URL path or blob name (no query string), or null.</summary>
    public static ReferenceKind? FromFileName(string path)
    {
        var lastSegment = path[(path.LastIndexOf('/') + 1)..];
        var extension = Path.GetExtension(lastSegment);
        return ByExtension.TryGetValue(extension, out var kind) ? kind : null;
    }

    /// <summary>The extension of a URL path or blob name, for messages ("" when there is none).</summary>
    public static string ExtensionOf(string path) => Path.GetExtension(path[(path.LastIndexOf('/') + 1)..]);

    public static string ToText(ReferenceKind kind) => kind == ReferenceKind.Image ? Image : Video;
}
