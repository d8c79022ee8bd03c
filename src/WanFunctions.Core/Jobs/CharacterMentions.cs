using System.Text.RegularExpressions;

namespace WanFunctions.Jobs;

/// <summary>
/// Finds the <c>characterN</c> identifiers in a prompt. DashScope maps characterN to the N-th reference
/// (1-based), so a mention without a matching reference is a mistake the provider would not report.
/// </summary>
public static partial class CharacterMentions
{
    /// <summary>The distinct N (≥ 1) mentioned as "characterN", case-insensitive and word-bounded, in ascending order.
    /// Numbers too large for an int are returned as <see cref="int.MaxValue"/> (they can never match a reference).</summary>
    public static IReadOnlyList<int> Find(string prompt) =>
        MentionPattern().Matches(prompt)
            .Select(m => int.TryParse(m.Groups[1].ValueSpan, out var n) ? n : int.MaxValue)
            .Distinct()
            .Order()
            .ToList();

    // "character0" and "character01" are not identifiers: numbering starts at 1 without leading zeros.
    [GeneratedRegex(@"\bcharacter([1-9][0-9]*)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MentionPattern();
}
