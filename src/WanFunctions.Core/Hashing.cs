using System.Security.Cryptography;
using System.Text;

namespace WanFunctions;

/// <summary>
/// SHA-256 in the one form the workflow stores and compares: 64 lowercase hex digits. Used for the prompt hash
/// (submit ledger, archive metadata), the idempotency fingerprint of a job and the key of a blob-started job.
/// </summary>
public static class Hashing
{
    /// <summary>The SHA-256 of the UTF-8 bytes of <paramref name="text"/>, as 64 lowercase hex digits.</summary>
    public static string Sha256Hex(string text) => Sha256Hex(Encoding.UTF8.GetBytes(text));

    /// <summary>The SHA-256 of <paramref name="bytes"/>, as 64 lowercase hex digits.</summary>
    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
