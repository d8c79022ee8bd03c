using System.Globalization;

namespace WanFunctions.Bench;

/// <summary>Prints figures and targets; remembers which targets were missed.</summary>
public sealed class Report
{
    private readonly List<string> missed = [];
    private int targets;

    public static void Section(string title) => Console.WriteLine($"{Environment.NewLine}== {title}");

    public static void Line(string text) => Console.WriteLine("   " + text);

    /// <summary>Prints "PASS|FAIL name value unit (target op limit unit)". <paramref name="lowerIsBetter"/> picks the operator.</summary>
    public void Target(string name, double value, double limit, string unit, bool lowerIsBetter, string format = "0.0", bool inclusive = false)
    {
        targets++;
        var pass = lowerIsBetter ? (inclusive ? value <= limit : value < limit) : value >= limit;
        var op = lowerIsBetter ? (inclusive ? "<=" : "<") : ">=";
        var text = $"{name} {value.ToString(format, CultureInfo.InvariantCulture)} {unit} (target {op} {limit.ToString(format, CultureInfo.InvariantCulture)} {unit})";
        Console.WriteLine($"   {(pass ? "PASS" : "FAIL")}  {text}");
        if (!pass)
        {
            missed.Add(text);
        }
    }

    /// <summary>Writes <paramref name="value"/> as <paramref name="key"/> into the JSON object in <paramref name="file"/>, keeping its other keys.</summary>
    public static async Task MergeJsonAsync(string file, string key, System.Text.Json.Nodes.JsonObject value)
    {
        var root = File.Exists(file)
            && System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(file)) is System.Text.Json.Nodes.JsonObject existing
            ? existing
            : new System.Text.Json.Nodes.JsonObject();
        root[key] = value;
        await File.WriteAllTextAsync(file, root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    public int Finish(bool strict)
    {
        Console.WriteLine();
        Console.WriteLine(missed.Count == 0
            ? $"All {targets} targets met."
            : $"{missed.Count} of {targets} targets missed:{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", missed)}");
        return strict && missed.Count > 0 ? 1 : 0;
    }
}

public static class Stats
{
    public const double MiB = 1024 * 1024;

    /// <summary>Percentile with linear interpolation between closest ranks (p in 0..100).</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = p / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }

    public static double Median(IEnumerable<double> values) => Percentile(values, 50);

    /// <summary>"median X (min Y, max Z) unit".</summary>
    public static string Mmm(IReadOnlyCollection<double> values, string unit, string format = "0.0") =>
        string.Create(CultureInfo.InvariantCulture,
            $"median {Median(values).ToString(format, CultureInfo.InvariantCulture)} {unit} (min {values.Min().ToString(format, CultureInfo.InvariantCulture)}, max {values.Max().ToString(format, CultureInfo.InvariantCulture)})");

    public static string F(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);
}
