using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using WanFunctions.Api;

namespace WanFunctions.LocalHost;

/// <summary>
/// The OpenAPI document of the HTTP API, served at <c>/openapi/v1.json</c> (Microsoft.AspNetCore.OpenApi, OpenAPI 3.1)
/// and checked in as <c>docs/openapi.json</c>. It lists the <c>/api</c> routes only, with no <c>servers</c> (the paths
/// are the same on both hosts; the caller knows where it talks to) and the API key schemes of <see cref="ApiKeyMiddleware"/>.
/// The <c>With…</c> methods add what the endpoint metadata cannot say: headers, query parameters read by hand, examples.
/// </summary>
internal static class OpenApiMetadata
{
    public const string DocumentPath = "/openapi/v1.json";

    public static IServiceCollection AddApiDocument(this IServiceCollection services, ApiKeyOptions keys)
    {
        // The schemas follow the HTTP JSON options: write enums as strings, as ApiJson.Options does for the answers.
        // Numbers strictly as numbers (the Web defaults would also allow strings, which ApiJson never writes).
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        return services.AddOpenApi("v1", options =>
        {
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "WanFunctions",
                    Version = "v1",
                    Description = "Durable Wan reference-to-video jobs: start one, follow it, cancel it; the MP4 is archived to Blob Storage. " +
                        "Served the same by the Azure Functions app (function key) and the local host (API key outside Development). " +
                        "Errors are RFC 9457 problem details (application/problem+json).",
                };
                document.Servers = null;
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
                {
                    ["apiKey"] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = keys.ApiKeyHeader,
                        Description = "The local host's key (LocalHost:ApiKeys), required outside Development.",
                    },
                    ["functionsKey"] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = ApiKeyMiddleware.FunctionsKeyHeader,
                        Description = "A function key of the Functions app; the local host accepts its own keys in this header too.",
                    },
                };
                document.Security =
                [
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("apiKey", document)] = [] },
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("functionsKey", document)] = [] },
                ];
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                // ApiJson.Options leaves nulls out: a property that may be null may be absent, so it is not required.
                if (schema.Required is { Count: > 0 } required)
                {
                    required.ExceptWith(context.JsonTypeInfo.Properties.Where(p => p.IsGetNullable).Select(p => p.Name));
                }

                // The caller-facing state is a string computed from the runtime status and the result: name its values.
                if (context.JsonPropertyInfo is { Name: "status" } property
                    && (property.DeclaringType == typeof(JobStatus) || property.DeclaringType == typeof(JobSummary)))
                {
                    schema.Enum = [.. JobStates.Select(state => (JsonNode)state)];
                }

                return Task.CompletedTask;
            });
        });
    }

    private static readonly string[] JobStates = ["Pending", "Running", "Succeeded", "Failed", "Canceled", "TimedOut", "Terminated"];

    /// <summary>A request header the handler reads itself.</summary>
    public static TBuilder WithHeaderParameter<TBuilder>(this TBuilder builder, string name, string description)
        where TBuilder : IEndpointConventionBuilder => builder.WithParameter(ParameterLocation.Header, name, description, JsonSchemaType.String);

    /// <summary>A query parameter the handler reads itself (and validates, answering 400).</summary>
    public static TBuilder WithQueryParameter<TBuilder>(this TBuilder builder, string name, string description, string type = "string")
        where TBuilder : IEndpointConventionBuilder => builder.WithParameter(ParameterLocation.Query, name, description, SchemaType(type));

    /// <summary>A header of one response (<paramref name="type"/>: "string" or "integer").</summary>
    public static TBuilder WithResponseHeader<TBuilder>(this TBuilder builder, int status, string name, string description, string type = "string")
        where TBuilder : IEndpointConventionBuilder => builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (Response(operation, status) is { } response)
            {
                response.Headers ??= new Dictionary<string, IOpenApiHeader>();
                response.Headers[name] = new OpenApiHeader { Description = description, Schema = new OpenApiSchema { Type = SchemaType(type) } };
            }

            return Task.CompletedTask;
        });

    /// <summary>
    /// A JSON request body of <typeparamref name="TBody"/> (<c>application/json</c> or <c>application/*+json</c>) and
    /// its example. Not <c>Accepts&lt;T&gt;</c>: routing would then answer other media types with an empty 415 before
    /// the handler could give its problem details.
    /// </summary>
    public static RouteHandlerBuilder WithJsonRequestBody<TBody>(this RouteHandlerBuilder builder, string example) => builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var name = typeof(TBody).Name;
            context.Document!.AddComponent(name, await context.GetOrCreateSchemaAsync(typeof(TBody), null, cancellationToken));
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = new OpenApiSchemaReference(name, context.Document), Example = JsonNode.Parse(example) },
                    ["application/*+json"] = new() { Schema = new OpenApiSchemaReference(name, context.Document) },
                },
            };
        });

    /// <summary>One response's example.</summary>
    public static TBuilder WithResponseExample<TBuilder>(this TBuilder builder, int status, string json)
        where TBuilder : IEndpointConventionBuilder => builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            foreach (var media in Response(operation, status)?.Content?.Values ?? [])
            {
                media.Example = JsonNode.Parse(json);
            }

            return Task.CompletedTask;
        });

    /// <summary>Several named examples of one response.</summary>
    public static TBuilder WithResponseExamples<TBuilder>(this TBuilder builder, int status, params (string Name, string Json)[] examples)
        where TBuilder : IEndpointConventionBuilder => builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            foreach (var media in Response(operation, status)?.Content?.Values ?? [])
            {
                media.Examples = examples.ToDictionary(e => e.Name, e => (IOpenApiExample)new OpenApiExample { Value = JsonNode.Parse(e.Json) });
            }

            return Task.CompletedTask;
        });

    private static TBuilder WithParameter<TBuilder>(this TBuilder builder, ParameterLocation location, string name, string description, JsonSchemaType type)
        where TBuilder : IEndpointConventionBuilder => builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name, In = location, Description = description, Schema = new OpenApiSchema { Type = type },
            });
            return Task.CompletedTask;
        });

    private static OpenApiResponse? Response(OpenApiOperation operation, int status) =>
        operation.Responses?.GetValueOrDefault(status.ToString(System.Globalization.CultureInfo.InvariantCulture)) as OpenApiResponse;

    private static JsonSchemaType SchemaType(string type) => type == "integer" ? JsonSchemaType.Integer : JsonSchemaType.String;
}
