using System.Globalization;
using System.Text.RegularExpressions;

namespace DashScope.Simulator;

/// <summary>
/// Per-task fault injection parsed from <c>[sim:name]</c> / <c>[sim:name=value]</c> markers in the prompt
/// (and from <see cref="SimulatorOptions.DefaultMarkers"/>). Counted markers default to 1 occurrence.
/// See README.md for the catalogue.
/// </summary>
public sealed partial record FaultMarkers
{
    public static readonly FaultMarkers None = new();

    public string? FailCode { get; init; }
    public string? FailMessage { get; init; }
    public int Submit429 { get; init; }
    public int Submit500 { get; init; }
    /// <summary>A gateway's 502 (HTML body) before the service: no task is created.</summary>
    public int Submit502 { get; init; }
    /// <summary>The task is created, then the answer is a 500 with an empty body.</summary>
    public int Accept500 { get; init; }
    /// <summary>The task is created, then the answer is a 200 with a truncated JSON body.</summary>
    public int AcceptGarbled { get; init; }
    /// <summary>The task is created, then the answer is held back this many milliseconds (past a client's timeout).</summary>
    public int AcceptLateMs { get; init; }
    public int Query429 { get; init; }
    public int Query500 { get; init; }
    public int Malformed { get; init; }
    public int Truncate { get; init; }
    public int SlowMs { get; init; }
    public bool PendingForever { get; init; }
    public bool Unknown { get; init; }
    public double? PendingSeconds { get; init; }
    public double? RunningSeconds { get; init; }
    /// <summary>A status string the docs do not list (e.g. PRE-PROCESSING), reported for the first half of RUNNING.</summary>
    public string? UnlistedState { get; init; }
    /// <summary>After this many queries of the task, its key counts as rotated: queries and cancels answer 401.</summary>
    public int? RevokeKeyAfter { get; init; }

    [GeneratedRegex(@"\[sim:(?<name>[A-Za-z0-9-]+)(?:=(?<value>[^\]]*))?\]")]
    private static partial Regex MarkerRegex();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_-]{0,39}$")]
    private static partial Regex StateRegex();

    /// <summary>Parses markers in <paramref name="text"/> on top of <paramref name="defaults"/>; unknown markers are an error so typos surface.</summary>
    public static bool TryParse(string? text, FaultMarkers? defaults, out FaultMarkers markers, out string? error)
    {
        markers = defaults ?? None;
        error = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        foreach (Match m in MarkerRegex().Matches(text))
        {
            var name = m.Groups["name"].Value.ToLowerInvariant();
            var value = m.Groups["value"].Success ? m.Groups["value"].Value.Trim() : null;
            var result = Apply(markers, name, value);
            if (result is null)
            {
                error = $"unknown or malformed simulator marker '{m.Value}'";
                return false;
            }
            markers = result;
        }
        return true;
    }

    private static FaultMarkers? Apply(FaultMarkers f, string name, string? value)
    {
        switch (name)
        {
            case "fail":
                if (string.IsNullOrEmpty(value))
                {
                    return null;
                }

                var colon = value.IndexOf(':');
                return colon < 0
                    ? f with { FailCode = value, FailMessage = null }
                    : f with { FailCode = value[..colon].Trim(), FailMessage = value[(colon + 1)..].Trim() };
            case "submit429": return Count(value) is { } a ? f with { Submit429 = a } : null;
            case "submit500": return Count(value) is { } b ? f with { Submit500 = b } : null;
            case "submit502": return Count(value) is { } b2 ? f with { Submit502 = b2 } : null;
            case "accept500": return Count(value) is { } b3 ? f with { Accept500 = b3 } : null;
            case "accept-garbled": return Count(value) is { } b4 ? f with { AcceptGarbled = b4 } : null;
            case "accept-late": return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var late) ? f with { AcceptLateMs = late } : null;
            case "query429": return Count(value) is { } c ? f with { Query429 = c } : null;
            case "query500": return Count(value) is { } d ? f with { Query500 = d } : null;
            case "malformed": return Count(value) is { } e ? f with { Malformed = e } : null;
            case "truncate": return Count(value) is { } g ? f with { Truncate = g } : null;
            case "slow": return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? f with { SlowMs = ms } : null;
            case "pending-forever": return value is null ? f with { PendingForever = true } : null;
            case "unknown": return value is null ? f with { Unknown = true } : null;
            case "pending": return Seconds(value) is { } p ? f with { PendingSeconds = p } : null;
            case "running": return Seconds(value) is { } r ? f with { RunningSeconds = r } : null;
            case "state": return value is not null && StateRegex().IsMatch(value) ? f with { UnlistedState = value } : null;
            case "revoke-key": return Count(value) is { } k ? f with { RevokeKeyAfter = k } : null;
            default: return null;
        }
    }

    private static int? Count(string? value) =>
        value is null ? 1
        : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
        : null;

    private static double? Seconds(string? value) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var s) ? s : null;

    /// <summary>Human-readable messages for failure codes the provider is known to emit.</summary>
    public static string DefaultMessageFor(string code) => code switch
    {
        "IPInfringementSuspect" => "Input data is suspected of being involved in IP infringement.",
        "DataInspectionFailed" => "Output data may contain inappropriate content.",
        "InvalidParameter.DataInspection" => "Input data may contain inappropriate content.",
        "InternalError.Algo" => "An internal error occurred while generating the video, please try again later.",
        "InvalidURL" => "Failed to download the reference resource, please check the url.",
        _ => $"Simulated task failure ({code}).",
    };
}
