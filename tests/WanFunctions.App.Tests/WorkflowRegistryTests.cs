using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WanFunctions.App.Functions;
using WanFunctions.Workflow;

namespace WanFunctions.App.Tests;

/// <summary>
/// The Functions app's hand-written durable functions against <see cref="WorkflowRegistry"/>, the list the local host
/// registers from: same names, same input and output types, the listed classes behind them, and nothing more.
/// </summary>
public sealed class WorkflowRegistryTests
{
    private static readonly MethodInfo[] Functions = typeof(VideoJobHttpFunctions).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
        .Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null)
        .ToArray();

    public static TheoryData<string> ActivityNames() => new(WorkflowRegistry.Activities.Select(a => a.Name));

    private static string NameOf(MethodInfo function) => function.GetCustomAttribute<FunctionAttribute>()!.Name;

    private static bool Has<TAttribute>(ParameterInfo parameter) where TAttribute : Attribute => parameter.GetCustomAttribute<TAttribute>() is not null;

    [Theory]
    [MemberData(nameof(ActivityNames))]
    public void Every_listed_activity_has_one_function_with_its_trigger_input_output_and_class(string name)
    {
        var activity = WorkflowRegistry.Activities.Single(a => a.Name == name);

        var function = Assert.Single(Functions, f => NameOf(f) == name);
        var trigger = Assert.Single(function.GetParameters(), Has<ActivityTriggerAttribute>);
        Assert.Equal(activity.InputType, trigger.ParameterType);
        Assert.Equal(typeof(Task<>).MakeGenericType(activity.OutputType), function.ReturnType);
        Assert.Contains(function.DeclaringType!.GetConstructors().SelectMany(c => c.GetParameters()),
            p => p.ParameterType == activity.ImplementationType);
    }

    [Fact]
    public void The_orchestrator_has_one_function_with_its_context_and_its_input_bound_as_a_parameter()
    {
        var orchestrator = WorkflowRegistry.Orchestrator;

        var function = Assert.Single(Functions, f => NameOf(f) == orchestrator.Name);
        var parameters = function.GetParameters();
        Assert.Equal(typeof(TaskOrchestrationContext), Assert.Single(parameters, Has<OrchestrationTriggerAttribute>).ParameterType);
        // The worker binds the orchestration's input to the one parameter without a binding attribute.
        Assert.Equal(orchestrator.InputType, Assert.Single(parameters, p => !p.GetCustomAttributes().Any()).ParameterType);
        Assert.Equal(typeof(Task<>).MakeGenericType(orchestrator.OutputType), function.ReturnType);
        Assert.True(typeof(TaskOrchestrator<,>).MakeGenericType(orchestrator.InputType, orchestrator.OutputType)
            .IsAssignableFrom(orchestrator.ImplementationType));
    }

    [Fact]
    public void Every_durable_function_is_listed_once_and_nothing_else_is()
    {
        var durable = Functions
            .Where(f => f.GetParameters().Any(p => Has<ActivityTriggerAttribute>(p) || Has<OrchestrationTriggerAttribute>(p)))
            .Select(NameOf)
            .Order(StringComparer.Ordinal)
            .ToArray();
        var listed = WorkflowRegistry.Activities.Select(a => a.Name).Append(WorkflowRegistry.Orchestrator.Name)
            .Order(StringComparer.Ordinal)
            .ToArray();

        Assert.Equal(listed, durable);
        Assert.Equal(listed.Length, listed.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Every_listed_activity_class_is_one_singleton_of_the_apps_services()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = "https://dashscope-intl.aliyuncs.com",
            ["DashScope:ApiKey"] = "test-key",
            ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddWanFunctions(configuration);
        using var provider = services.BuildServiceProvider(validateScopes: true);

        Assert.All(WorkflowRegistry.Activities, activity =>
        {
            Assert.Equal(ServiceLifetime.Singleton, Assert.Single(services, s => s.ServiceType == activity.ImplementationType).Lifetime);
            Assert.Same(provider.GetRequiredService(activity.ImplementationType), provider.GetRequiredService(activity.ImplementationType));
        });
    }
}
