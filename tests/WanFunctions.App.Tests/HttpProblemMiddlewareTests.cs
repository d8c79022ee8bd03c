using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using WanFunctions.App.Functions;

namespace WanFunctions.App.Tests;

/// <summary>An HTTP function that throws answers a problem-details 500 without exception details.</summary>
public sealed class HttpProblemMiddlewareTests
{
    private static Mock<FunctionContext> Context(HttpContext? http)
    {
        var context = new Mock<FunctionContext> { DefaultValue = DefaultValue.Mock };
        var items = new Dictionary<object, object>();
        if (http is not null)
        {
            items["HttpRequestContext"] = http; // where the ASP.NET Core integration puts it
        }

        context.SetupGet(c => c.Items).Returns(items);
        context.SetupGet(c => c.InvocationId).Returns("invocation-1");
        return context;
    }

    [Fact]
    public async Task An_exception_in_an_http_function_is_a_500_problem_without_details()
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        http.Response.Body = new MemoryStream();
        var middleware = new HttpProblemMiddleware(NullLogger<HttpProblemMiddleware>.Instance);

        await middleware.Invoke(Context(http).Object, _ => throw new InvalidOperationException(
            "Storage said no: https://acct.blob.core.windows.net/job-state/x?sig=SECRET"));

        Assert.Equal(StatusCodes.Status500InternalServerError, http.Response.StatusCode);
        Assert.StartsWith("application/problem+json", http.Response.ContentType);
        http.Response.Body.Position = 0;
        var text = await new StreamReader(http.Response.Body).ReadToEndAsync();
        Assert.Equal(500, JsonDocument.Parse(text).RootElement.GetProperty("status").GetInt32());
        Assert.DoesNotContain("Storage said no", text);
        Assert.DoesNotContain("SECRET", text);
        Assert.DoesNotContain("InvalidOperationException", text);
        Assert.DoesNotContain(" at ", text);
    }

    [Fact]
    public async Task With_the_apps_services_the_500_is_written_by_the_problem_details_service_as_in_the_local_host()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = "https://dashscope-intl.aliyuncs.com",
            ["DashScope:ApiKey"] = "test-key",
            ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddWanFunctions(configuration).BuildServiceProvider();
        Assert.NotNull(services.GetService<IProblemDetailsService>());
        var http = new DefaultHttpContext { RequestServices = services, TraceIdentifier = "trace-1" };
        http.Response.Body = new MemoryStream();
        var middleware = new HttpProblemMiddleware(NullLogger<HttpProblemMiddleware>.Instance);

        await middleware.Invoke(Context(http).Object, _ => throw new InvalidOperationException("boom"));

        Assert.Equal(StatusCodes.Status500InternalServerError, http.Response.StatusCode);
        http.Response.Body.Position = 0;
        var text = await new StreamReader(http.Response.Body).ReadToEndAsync();
        Assert.Equal("trace-1", JsonDocument.Parse(text).RootElement.GetProperty("traceId").GetString());
        Assert.DoesNotContain("boom", text);
    }

    [Fact]
    public async Task Other_triggers_still_fail_so_the_host_can_retry_them()
    {
        var middleware = new HttpProblemMiddleware(NullLogger<HttpProblemMiddleware>.Instance);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            middleware.Invoke(Context(http: null).Object, _ => throw new InvalidOperationException("blob trigger failed")));
    }

    [Fact]
    public async Task A_function_that_succeeds_is_left_alone()
    {
        var http = new DefaultHttpContext();
        var middleware = new HttpProblemMiddleware(NullLogger<HttpProblemMiddleware>.Instance);
        var ran = false;

        await middleware.Invoke(Context(http).Object, _ =>
        {
            ran = true;
            return Task.CompletedTask;
        });

        Assert.True(ran);
        Assert.Equal(StatusCodes.Status200OK, http.Response.StatusCode);
    }
}
