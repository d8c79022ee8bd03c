namespace WanFunctions.Jobs;

/// <summary>Collects errors per field path, in the order found, for a problem-details <c>errors</c> map.</summary>
internal sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
    }

    public IReadOnlyDictionary<string, string[]> ToDictionary() =>
        _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    /// <summary>User input quoted for a message, cut to 100 characters so a huge value is never echoed back.</summary>
    public static string Echo(string value, int max = 100)
    {
        if (value.Length <= max)
        {
            return $"\"{value}\"";
        }

        var cut = char.IsHighSurrogate(value[max - 1]) ? max - 1 : max; // never split a surrogate pair
        return $"\"{value[..cut]}…\" ({value.Length} characters)";
    }
}
