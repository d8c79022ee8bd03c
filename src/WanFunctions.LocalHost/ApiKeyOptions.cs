using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace WanFunctions.LocalHost;

/// <summary>
/// The local host's API keys (section "LocalHost"). Outside the <c>Development</c> environment every <c>/api</c> call
/// needs one of <see cref="ApiKeys"/> in the <see cref="ApiKeyHeader"/> header or in <c>x-functions-key</c>
/// (<see cref="ApiKeyMiddleware"/>); without a key configured the host refuses to start. In Development the API is open.
/// </summary>
public sealed class ApiKeyOptions
{
    public const string SectionName = "LocalHost";

    /// <summary>Shortest key accepted: a guessable key is no lock.</summary>
    public const int MinKeyLength = 16;

    /// <summary>The accepted keys (<c>LocalHost:ApiKeys:0</c>, <c>:1</c>, … so a key can be rotated without downtime).</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>The request header that carries the key; <c>x-functions-key</c> is accepted as well.</summary>
    [Required, RegularExpression("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", ErrorMessage = "LocalHost:ApiKeyHeader must be a header name (letters, digits, '-', …).")]
    public string ApiKeyHeader { get; set; } = "x-api-key";

    /// <summary>Keys are needed everywhere but in Development.</summary>
    public bool Required { get; private set; }

    /// <summary>
    /// Binds and checks the section before anything starts: outside Development at least one key, and every key at
    /// least <see cref="MinKeyLength"/> characters. Throws <see cref="OptionsValidationException"/> naming the setting;
    /// the keys themselves never appear in a message.
    /// </summary>
    public static ApiKeyOptions Read(IConfiguration configuration, IHostEnvironment environment)
    {
        var services = new ServiceCollection().AddSingleton(configuration);
        services.AddOptions<ApiKeyOptions>()
            .BindConfiguration(SectionName)
            .PostConfigure(options => options.Required = !environment.IsDevelopment())
            .ValidateDataAnnotations()
            .Validate(options => !options.Required || options.ApiKeys.Any(key => !string.IsNullOrWhiteSpace(key)),
                $"The local host needs an API key outside the Development environment (this one is '{environment.EnvironmentName}'): " +
                $"set {SectionName}:ApiKeys:0 (environment variable {SectionName}__ApiKeys__0) to a secret of at least {MinKeyLength} characters " +
                "and send it in the API key header, or run with ASPNETCORE_ENVIRONMENT=Development for an open API on your own machine.")
            .Validate(options => options.ApiKeys.All(key => string.IsNullOrWhiteSpace(key) || key.Trim().Length >= MinKeyLength),
                $"Every {SectionName}:ApiKeys entry must be at least {MinKeyLength} characters long.");
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ApiKeyOptions>>().Value;
    }
}
