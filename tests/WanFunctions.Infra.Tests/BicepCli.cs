using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace WanFunctions.Infra.Tests;

/// <summary>
/// The Bicep CLI from the NuGet package Azure.Bicep.CommandLine.linux-x64 (restored by this project and by
/// infra/build.sh, version in infra/tools/Bicep.props). Tests that need it skip when it is not there.
/// </summary>
internal static class BicepCli
{
    private static readonly Lazy<string?> LazyPath = new(Find);
    private static readonly Dictionary<string, Lazy<JsonDocument>> Compiled = new(StringComparer.Ordinal);

    public static string? Path => LazyPath.Value;

    public static void SkipIfMissing() =>
        Skip.If(Path is null, "Bicep CLI not found (linux-x64 only; run `dotnet restore` or `bash infra/build.sh`).");

    /// <summary>Compiles a .bicep file (relative to infra/) to ARM JSON, once per test run.</summary>
    public static JsonDocument Build(string relativeToInfra)
    {
        Lazy<JsonDocument> lazy;
        lock (Compiled)
        {
            if (!Compiled.TryGetValue(relativeToInfra, out lazy!))
            {
                lazy = new Lazy<JsonDocument>(() => JsonDocument.Parse(Run("build", Repo.InfraFile(relativeToInfra.Split('/')), "--stdout")));
                Compiled[relativeToInfra] = lazy;
            }
        }

        return lazy.Value;
    }

    private static string Run(params string[] args)
    {
        var start = new ProcessStartInfo(Path!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repo.Infra,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["BICEP_TRACING_ENABLED"] = "false";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', args)} timed out.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"bicep {string.Join(' ', args)} exited with {process.ExitCode}:\n{stderr.Result}");
        }

        return stdout.Result;
    }

    private static string? Find()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            return null;
        }

        var metadata = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .ToDictionary(a => a.Key, a => a.Value);
        var version = metadata.GetValueOrDefault("BicepVersion");
        var roots = new[]
            {
                metadata.GetValueOrDefault("NuGetPackageRoot"),
                Environment.GetEnvironmentVariable("NUGET_PACKAGES"),
                System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            }
            .Where(r => !string.IsNullOrWhiteSpace(r));

        foreach (var root in roots)
        {
            var candidate = System.IO.Path.Combine(root!, "azure.bicep.commandline.linux-x64", version ?? "", "tools", "bicep");
            if (File.Exists(candidate))
            {
                var mode = File.GetUnixFileMode(candidate);
                if (!mode.HasFlag(UnixFileMode.UserExecute))
                {
                    File.SetUnixFileMode(candidate, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                }

                return candidate;
            }
        }

        return null;
    }
}
