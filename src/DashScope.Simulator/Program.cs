using DashScope.Simulator;

// Standalone: dotnet run --project src/DashScope.Simulator --urls http://127.0.0.1:5080
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddDashScopeSimulator(builder.Configuration);

var app = builder.Build();
app.UseDashScopeSimulator();

app.Lifetime.ApplicationStarted.Register(() =>
{
    var options = app.Services.GetRequiredService<SimulatorOptions>();
    app.Logger.LogInformation(
        "DashScope simulator listening on {Urls} (region {Region}, speed factor {SpeedFactor}, API key {KeyKind})",
        string.Join(", ", app.Urls), options.Region, options.SpeedFactor,
        options.ApiKey == new SimulatorOptions().ApiKey ? "default 'sim-key'" : "custom");
});

app.Run();
