using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace WanFunctions.App.Functions;

/// <summary>
/// The Functions ASP.NET Core integration executes an <see cref="IActionResult"/> returned by an HTTP trigger but
/// not a minimal-API <see cref="IResult"/>; this lets the shared endpoints' results run unchanged.
/// </summary>
public sealed class HttpResultAction(IResult result) : IActionResult
{
    public IResult Result { get; } = result;

    public Task ExecuteResultAsync(ActionContext context) => Result.ExecuteAsync(context.HttpContext);
}
