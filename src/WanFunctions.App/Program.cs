using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WanFunctions;
using WanFunctions.App.Functions;
using WanFunctions.Telemetry;

// The Functions app is a thin shell: every function calls shared code in WanFunctions.Core.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<HttpProblemMiddleware>();
builder.Services.AddWanFunctions(builder.Configuration);
// OpenTelemetry (host.json telemetryMode OpenTelemetry): Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is set.
builder.Services.AddWanTelemetry(builder.Configuration, "WanFunctions.App").UseFunctionsWorkerDefaults();
builder.Build().Run();
