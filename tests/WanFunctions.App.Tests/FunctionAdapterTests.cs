using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using WanFunctions.Api;
using WanFunctions.App.Functions;
using WanFunctions.DashScope;
using WanFunctions.Workflow;

namespace WanFunctions.App.Tests;

/// <summary>The [Function] classes are thin, but they must wire up: DI, result execution, names.</summary>
public sealed class FunctionAdapterTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["DashScope:BaseUrl"] = "https://dashscope-intl.aliyuncs.com",
        ["DashScope:ApiKey"] = "test-key",
        ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
    };

    private static ServiceProvider Services()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
        return new ServiceCollection().AddLogging().AddWanFunctions(configuration).BuildServiceProvider(validateScopes: true);
    }

    public static TheoryData<Type> FunctionClasses()
    {
        var data = new TheoryData<Type>();
        foreach (var type in typeof(VideoJobHttpFunctions).Assembly.GetTypes()
                     .Where(t => !t.IsAbstract && t.GetMethods().Any(m => m.GetCustomAttribute<FunctionAttribute>() is not null)))
        {
            data.Add(type);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FunctionClasses))]
    public void Every_function_class_can_be_built_from_the_apps_services(Type functionClass)
    {
        using var services = Services();
        var instance = ActivatorUtilities.CreateInstance(services, functionClass);
        Assert.IsType(functionClass, instance);
    }

    [Fact]
    public void Every_durable_name_has_a_function()
    {
        var functions = typeof(VideoJobHttpFunctions).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .Select(m => m.GetCustomAttribute<FunctionAttribute>()?.Name)
            .OfType<string>()
            .ToArray();
        var durableNames = typeof(WorkflowNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.Name != nameof(WorkflowNames.CancelEvent))
            .Select(f => (string)f.GetValue(null)!)
            .ToArray();

        Assert.All(durableNames, name => Assert.Contains(name, functions));
    }

    [Fact]
    public async Task The_start_function_returns_an_action_result_that_writes_the_shared_endpoints_answer()
    {
        using var services = Services();
        var functions = ActivatorUtilities.CreateInstance<VideoJobHttpFunctions>(services);
        var client = new Mock<DurableTaskClient>("test");
        client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(),
                It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((TaskName _, object? _, StartOrchestrationOptions? o, CancellationToken _) => o!.InstanceId!);
        var http = Http(services, """{"prompt":"character1 waves","references":[{"url":"https://example.com/a.mp4"}]}""");

        var result = await functions.Start(http.Request, client.Object, CancellationToken.None);
        await result.ExecuteResultAsync(new ActionContext(http, new RouteData(), new ActionDescriptor()));

        Assert.Equal(StatusCodes.Status202Accepted, http.Response.StatusCode);
        var body = Body(http);
        var id = body.GetProperty("id").GetString()!;
        Assert.Equal($"https://func.example.com/api/videos/{id}", http.Response.Headers.Location.ToString());
        client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(new TaskName(WorkflowNames.Orchestrator),
            It.IsAny<VideoJobInput>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task The_status_function_answers_404_problem_details_for_an_unknown_job()
    {
        using var services = Services();
        var functions = ActivatorUtilities.CreateInstance<VideoJobHttpFunctions>(services);
        var client = new Mock<DurableTaskClient>("test");
        var http = Http(services, body: null);

        var result = await functions.Get(http.Request, client.Object, "nope", CancellationToken.None);
        await result.ExecuteResultAsync(new ActionContext(http, new RouteData(), new ActionDescriptor()));

        Assert.Equal(StatusCodes.Status404NotFound, http.Response.StatusCode);
        Assert.StartsWith("application/problem+json", http.Response.ContentType);
        Assert.Contains("nope", Body(http).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_check_activity_function_returns_the_task_state_without_the_signed_url()
    {
        var dashScope = new Mock<IDashScopeClient>();
        dashScope.Setup(d => d.GetTaskAsync("t-1", It.IsAny<CancellationToken>()))
            .ReturnsAsync(new DashScopeTaskStatus("t-1", DashScopeTaskState.Succeeded, VideoUrl: "https://x.aliyuncs.com/v.mp4?Signature=s"));
        var function = new CheckVideoTaskFunction(new WanFunctions.Workflow.Activities.CheckVideoTaskActivity(
            Mock.Of<IDashScopeClientFactory>(f => f.ClientOf(It.IsAny<string?>()) == dashScope.Object)),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<WanFunctions.Capacity.DurableClientJobWaker>.Instance);

        var check = await function.Run(new ProviderTaskRef("t-1"), new Mock<DurableTaskClient>("test").Object, CancellationToken.None);

        Assert.Equal(DashScopeTaskState.Succeeded, check.State);
        Assert.DoesNotContain("Signature", JsonSerializer.Serialize(check));
    }

    private static HttpContext Http(IServiceProvider services, string? body)
    {
        var http = new DefaultHttpContext { RequestServices = services };
        http.Request.Scheme = "https";
        http.Request.Host = new HostString("func.example.com");
        if (body is not null)
        {
            http.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
            http.Request.ContentType = "application/json";
        }

        http.Response.Body = new MemoryStream();
        return http;
    }

    private static JsonElement Body(HttpContext http)
    {
        http.Response.Body.Position = 0;
        return JsonDocument.Parse(http.Response.Body).RootElement;
    }
}
