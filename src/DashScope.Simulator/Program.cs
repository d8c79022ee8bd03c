using DashScope.Simulator;

// Standalone: dotnet run --project src/DashScope.Simulator --urls http://127.0.0.1:5080
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddDashScopeSimulator(builder.Configuration);

var app = builder.Build();
app.UseDashScopeSimulator();

app.Lifetime.ApplicationStarted.Register(() =>
{
    var options = app.Services.GetRequiredService<SimulatorOptions>();
    var keyKind = options.ApiKey == new SimulatorOptions().ApiKey ? "default 'sim-key'" : "custom";
    Log.Listening(app.Logger, app.Urls, options.Region, options.SpeedFactor, keyKind);
});

app.Run();

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information,
        Message = "DashScope simulator listening on {Urls} (region {Region}, speed factor {SpeedFactor}, API key {KeyKind})")]
    public static partial void Listening(ILogger logger, ICollection<string> urls, SimulatorRegion region, double speedFactor, string keyKind);
}
