using WanFunctions.LocalHost;

// Runs the workflow on the Durable Task SDK with Azure Storage (Azurite locally), without the Functions host.
await using var host = await LocalHostApp.StartAsync(args);
Console.WriteLine($"WanFunctions local host listening on {host.BaseAddress}");
await host.WaitForShutdownAsync();
