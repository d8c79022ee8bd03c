namespace WanFunctions.Jobs;

/// <summary>Checks one reference: where it is (url or blob) and what it is (image or video).</summary>
internal static class ReferenceValidator
{
    /// <summary>The validated reference, or null after adding its errors under "references[i]...".</summary>
    public static ValidatedReference? Validate(JobReference? reference, int index, ModelSpec? model, ValidationErrors errors)
    {
        var field = $"references[{index}]";
        if (reference is null)
        {
            errors.Add(field, "Each reference must be an object with \"url\" or \"blob\" (and optionally \"kind\").");
            return null;
        }

        var hasUrl = !string.IsNullOrWhiteSpace(reference.Url);
        var hasBlob = !string.IsNullOrWhiteSpace(reference.Blob);
        if (hasUrl == hasBlob)
        {
            errors.Add(field, hasUrl
                ? "Give either \"url\" or \"blob\", not both."
                : "Give exactly one of \"url\" (a public http or https URL) or \"blob\" (\"container/path\").");
            return null;
        }

        // The file name to infer the kind from: the URL path without query string, or the blob path.
        string? fileName;
        if (hasUrl)
        {
            fileName = UrlPath(reference.Url!);
            if (fileName is null)
            {
                errors.Add($"{field}.url", "url must be an absolute http or https URL, e.g. \"https://example.com/actor.mp4\".");
            }
        }
        else
        {
            var blobError = BlobLocation.Validate(reference.Blob!);
            fileName = blobError is null ? reference.Blob : null;
            if (blobError is not null)
            {
                errors.Add($"{field}.blob", blobError);
            }
        }

        var kind = ResolveKind(reference.Kind, fileName, field, errors);
        if (fileName is null || kind is null)
        {
            return null;
        }

        if (model is not null && !model.Accepts(kind.Value))
        {
            errors.Add(field,
                $"{model.Name} in this region accepts only {string.Join(" and ", model.ReferenceKinds.Select(ReferenceKinds.ToText))} " +
                $"references; this reference is of kind \"{ReferenceKinds.ToText(kind.Value)}\".");
            return null;
        }

        return new ValidatedReference(hasUrl ? reference.Url!.Trim() : null, hasUrl ? null : reference.Blob, kind.Value);
    }

    /// <summary>The path of an absolute http(s) URL (no query or fragment), or null when it is not one.</summary>
    private static string? UrlPath(string url) =>
        Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && uri.Host.Length > 0
            ? uri.AbsolutePath
            : null;

    /// <summary>An explicit kind wins, but must agree with a known extension; otherwise the extension decides.</summary>
    private static ReferenceKind? ResolveKind(string? explicitKind, string? fileName, string field, ValidationErrors errors)
    {
        ReferenceKind? stated = null;
        if (!string.IsNullOrWhiteSpace(explicitKind))
        {
            if (!ReferenceKinds.TryParse(explicitKind, out var parsed))
            {
                errors.Add($"{field}.kind", $"kind must be \"image\" or \"video\"; got {ValidationErrors.Echo(explicitKind, 20)}.");
                return null;
            }

            stated = parsed;
        }

        if (fileName is null)
        {
            return stated; // the location is already wrong; do not pile up kind errors on it
        }

        var inferred = ReferenceKinds.FromFileName(fileName);
        if (stated is not null && inferred is not null && stated != inferred)
        {
            errors.Add($"{field}.kind",
                $"kind \"{ReferenceKinds.ToText(stated.Value)}\" contradicts the file extension " +
                $"{ValidationErrors.Echo(ReferenceKinds.ExtensionOf(fileName), 10)}, which means \"{ReferenceKinds.ToText(inferred.Value)}\".");
            return null;
        }

        var kind = stated ?? inferred;
        if (kind is null)
        {
            errors.Add($"{field}.kind",
                "kind (\"image\" or \"video\") is required because the file extension does not tell; " +
                $"known extensions: {ReferenceKinds.KnownExtensionsText}.");
        }

        return kind;
    }
}
