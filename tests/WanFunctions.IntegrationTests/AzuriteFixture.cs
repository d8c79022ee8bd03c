using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace WanFunctions.IntegrationTests;

/// <summary>
/// Real Azurite for the integration tests. tests/run-tests.sh starts it and passes WANFUNCTIONS_TEST_STORAGE;
/// a bare `dotnet test` installs it (npm ci in tests/azurite/) if needed and starts one itself on free ports.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private Process? azurite;
    private string? dataDir;

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("WANFUNCTIONS_TEST_STORAGE") is { Length: > 0 } given)
        {
            ConnectionString = given;
            return;
        }

        var azuriteDir = Path.Combine(RepoRoot(), "tests", "azurite");
        var script = Path.Combine(azuriteDir, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
        {
            await InstallAzuriteAsync(azuriteDir);
        }

        int[] ports = [FreePort(), FreePort(), FreePort()];
        dataDir = Directory.CreateTempSubdirectory("wan-azurite").FullName;
        var start = new ProcessStartInfo("node")
        {
            ArgumentList =
            {
                script, "--silent", "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--location", dataDir,
                "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
                "--blobPort", ports[0].ToString(), "--queuePort", ports[1].ToString(), "--tablePort", ports[2].ToString(),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        azurite = Process.Start(start)!;
        foreach (var port in ports)
        {
            await WaitForPortAsync(port);
        }

        ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + Key +
            $";BlobEndpoint=http://127.0.0.1:{ports[0]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{ports[1]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{ports[2]}/devstoreaccount1;";
    }

    public Task DisposeAsync()
    {
        if (azurite is { HasExited: false })
        {
            azurite.Kill(entireProcessTree: true);
            azurite.WaitForExit(5000);
        }

        azurite?.Dispose();
        if (dataDir is not null)
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }

        return Task.CompletedTask;
    }

    private static async Task InstallAzuriteAsync(string azuriteDir)
    {
        var npm = new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        {
            WorkingDirectory = azuriteDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var install = Process.Start(npm)
            ?? throw new InvalidOperationException("Could not start npm to install Azurite (is Node.js installed?).");
        var errors = install.StandardError.ReadToEndAsync();
        await install.StandardOutput.ReadToEndAsync();
        await install.WaitForExitAsync();
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci in {azuriteDir} failed: {await errors}");
        }
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WanFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("WanFunctions.sln not found above " + AppContext.BaseDirectory);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForPortAsync(int port)
    {
        for (var i = 0; i < 150; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"Azurite did not answer on port {port} within 15 s.");
    }
}

[CollectionDefinition(Name)]
public sealed class IntegrationCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
