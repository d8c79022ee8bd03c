using System.ComponentModel.DataAnnotations;

namespace WanFunctions.Workflow;

/// <summary>Result callbacks (section "Callbacks").</summary>
public sealed class CallbackOptions
{
    public const string SectionName = "Callbacks";

    /// <summary>
    /// When set, every callback carries <c>X-WanFunctions-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c>
    /// so receivers can tell our calls from forged ones. In Azure, a Key Vault reference.
    /// </summary>
    [MinLength(32, ErrorMessage = "Callbacks:SigningKey must be at least 32 characters.")]
    public string? SigningKey { get; set; }

    public override string ToString() => $"SigningKey = {(SigningKey is null ? "(none)" : "***")}";
}
