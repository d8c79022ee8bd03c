using Microsoft.Extensions.Options;
using WanFunctions.LocalHost;

// Runs the workflow on the Durable Task SDK with Azure Storage (Azurite locally), without the Functions host.
LocalHostApp host;
try
{
    host = await LocalHostApp.StartAsync(args);
}
catch (OptionsValidationException ex)
{
    // A wrong setting: name it and stop with exit code 1, without a stack trace (the messages never hold a key).
    await Console.Error.WriteLineAsync($"WanFunctions local host not started, invalid settings: {string.Join(" ", ex.Failures)}");
    return 1;
}

await using (host)
{
    Console.WriteLine($"WanFunctions local host listening on {host.BaseAddress}");
    await host.WaitForShutdownAsync();
}

return 0;
