using HaStack.ServiceDefaults;

namespace HaStack.FailoverDrill.Service;

/// <summary>
/// Guards every request that changes the cluster (starting a drill): it must come from the host itself (a loopback
/// address) and carry the stack's control secret as <c>Authorization: Bearer &lt;secret&gt;</c>. The secret is the
/// AppHost's <c>drill-control-secret</c> parameter (<c>Drill:ControlSecret</c>); the dashboard's commands send it.
/// Without a configured secret nothing is allowed.
/// </summary>
public sealed class ControlSecretFilter(IConfiguration configuration) : IEndpointFilter
{
    public const string ConfigurationKey = DrillServiceExtensions.SectionName + ":ControlSecret";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        if (http.Connection.RemoteIpAddress is not { } remote || !System.Net.IPAddress.IsLoopback(remote))
        {
            return Results.Json(new { error = "drills are started only from the host running the stack" }, statusCode: StatusCodes.Status403Forbidden);
        }

        if (configuration[ConfigurationKey] is not { Length: > 0 } secret)
        {
            return Results.Json(new { error = $"no control secret is configured ({ConfigurationKey}): drills are disabled" }, statusCode: StatusCodes.Status403Forbidden);
        }

        if (!BearerSecret.IsPresentedBy(http.Request, secret))
        {
            return BearerSecret.Refuse(http, "the stack's control secret is required: Authorization: Bearer <drill-control-secret parameter>");
        }

        return await next(context).ConfigureAwait(false);
    }
}
