using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DashScope.Simulator;

/// <summary>Wiring shared by the standalone Program and the embeddable <see cref="SimulatorHost"/>.</summary>
public static class SimulatorApp
{
    /// <summary>
    /// Registers the simulator. With <paramref name="fixedOptions"/> null, options come from the "Simulator" section of the
    /// <see cref="IConfiguration"/> service (<paramref name="configuration"/>, when the host has registered none).
    /// </summary>
    public static IServiceCollection AddDashScopeSimulator(
        this IServiceCollection services, IConfiguration configuration, SimulatorOptions? fixedOptions = null, TimeProvider? clock = null)
    {
        services.AddSingleton<IValidateOptions<SimulatorOptions>, SimulatorOptionsValidator>();
        var builder = services.AddOptions<SimulatorOptions>();
        services.TryAddSingleton(configuration);
        if (fixedOptions is null)
        {
            builder.BindConfiguration(SimulatorOptions.SectionName);
        }
        else
        {
            builder.Configure(o => CopyInto(fixedOptions, o));
        }

        builder.ValidateOnStart();

        // Components take the options object directly: they never change after start-up.
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<SimulatorOptions>>().Value);
        // Wrapped rather than registered as TimeProvider, so a test's frozen clock never reaches framework components.
        services.AddSingleton(new SimulatorClock(clock ?? TimeProvider.System));
        services.AddSingleton<TimingModel>();
        services.AddSingleton<TaskStore>();
        services.AddSingleton<SubmitValidator>();
        services.AddSingleton<VideoContent>();
        services.AddSingleton<UrlSigner>();
        services.AddSingleton<RequestRecorder>();
        services.AddSingleton<Endpoints>();
        return services;
    }

    public static WebApplication UseDashScopeSimulator(this WebApplication app)
    {
        var recorder = app.Services.GetRequiredService<RequestRecorder>();
        app.Use(recorder.RecordAsync);
        app.Services.GetRequiredService<Endpoints>().Map(app);
        return app;
    }

    // The caller's instance is copied, so mutating it after start has no effect on the running simulator.
    private static void CopyInto(SimulatorOptions source, SimulatorOptions target)
    {
        foreach (var property in typeof(SimulatorOptions).GetProperties().Where(p => p.CanWrite))
        {
            property.SetValue(target, property.GetValue(source));
        }
    }
}
