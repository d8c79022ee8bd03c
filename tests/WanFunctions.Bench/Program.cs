using WanFunctions.Bench;

// The `bench` command (tests/bench.sh): speed and memory figures for the archive, the validator and the whole
// workflow on the real engine, each compared with a target. Exit code 0 unless --strict and a target is missed.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

var storage = Environment.GetEnvironmentVariable(BenchOptions.StorageVariable);
if (options.Needs("archive") || options.Needs("e2e") || options.Needs("batch") || options.Needs("scale"))
{
    if (string.IsNullOrWhiteSpace(storage))
    {
        Console.Error.WriteLine($"{BenchOptions.StorageVariable} is not set: run tests/bench.sh, which starts Azurite and sets it.");
        return 2;
    }
}

var report = new Report();
Console.WriteLine($"WanFunctions bench — {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
    $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");

if (options.Needs("validate"))
{
    ValidationBench.Run(options, report);
}

if (options.Needs("archive"))
{
    var archive = await ArchiveBench.RunAsync(options, storage!, report);
    if (options.JsonFile is { } file)
    {
        await Report.MergeJsonAsync(file, "archive", archive.ToJson());
    }
}

if (options.Needs("e2e"))
{
    await EndToEndBench.RunAsync(options, storage!, report);
}

if (options.Needs("batch"))
{
    var batch = await BatchBench.RunAsync(options, storage!, report);
    if (options.JsonFile is { } file)
    {
        await Report.MergeJsonAsync(file, "batch", new System.Text.Json.Nodes.JsonObject
        {
            ["jobs"] = batch.Jobs,
            ["makespan_s"] = Math.Round(batch.MakespanSeconds, 2),
            ["ideal_s"] = batch.IdealSeconds,
            ["lost"] = batch.Lost,
            ["submits"] = batch.Submits,
            ["throttled"] = batch.Throttled,
        });
    }
}

if (options.Needs("scale"))
{
    var scale = await ScaleBench.RunAsync(options, storage!, report);
    if (options.JsonFile is { } file)
    {
        await ScaleBench.WriteJsonAsync(file, scale);
    }
}

if (options.Needs("polling"))
{
    var polling = PollingBench.Run(options, report);
    if (options.JsonFile is { } file)
    {
        await Report.MergeJsonAsync(file, "polling", PollingBench.ToJson(polling));
    }
}

return report.Finish(options.Strict);
