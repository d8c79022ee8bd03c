using System.Text.RegularExpressions;

namespace WanFunctions.Jobs;

/// <summary>
/// Finds the <c>characterN</c> identifiers in a prompt. DashScope maps characterN to the N-th reference
/// (1-based), so a mention without a matching reference is a mistake the provider would not report.
/// </summary>
public static partial class CharacterMentions
{
    /// <summary>
    /// The distinct N (≥ 1) mentioned as "characterN", case-insensitive, in ascending order. A mention may touch any
    /// script, emoji or punctuation (the provider's own samples write <c>character1对character2说</c>); it only must not
    /// be glued to an ASCII letter or digit on either side (<c>xcharacter1</c>, <c>2character1</c>, <c>character1x</c>
    /// and <c>character12</c>'s "character1" are not mentions). Numbers too large for an int are returned as
    /// <see cref="int.MaxValue"/> (they can never match a reference).
    /// </summary>
    public static IReadOnlyList<int> Find(string prompt) =>
        MentionPattern().Matches(prompt)
            .Select(m => int.TryParse(m.Groups[1].ValueSpan, out var n) ? n : int.MaxValue)
            .Distinct()
            .Order()
            .ToList();

    // Not \b: in .NET, CJK letters are word characters, so \b finds nothing in "让character3跳舞".
    // Only "character" ignores case: an ignore-case [A-Za-z] would also match the Kelvin sign (U+212A).
    // "character0" and "character01" are not identifiers: numbering starts at 1 without leading zeros.
    [GeneratedRegex(@"(?<![A-Za-z0-9])(?i:character)([1-9][0-9]*)(?![A-Za-z0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex MentionPattern();
}
