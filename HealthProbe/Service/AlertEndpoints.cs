using HaStack.ServiceDefaults;

namespace HaStack.HealthProbe.Service;

/// <summary>
/// The alert webhook: <c>POST /alerts</c> takes Alertmanager's notifications (bearer token <see cref="SecretKey"/>),
/// <c>GET /alerts</c> lists the state changes received (localhost only). On <see cref="PortKey"/>, the one port
/// Alertmanager's container reaches through the engine's gateway, only <c>POST /alerts</c> answers.
/// </summary>
public static class AlertEndpoints
{
    public const string Path = "/alerts";
    public const string SecretKey = "Alerts:WebhookSecret";
    public const string PortKey = "Alerts:Port";

    /// <summary>Registers the <see cref="AlertReceiver"/>.</summary>
    public static IServiceCollection AddAlertReceiver(this IServiceCollection services) =>
        services.AddSingleton<AlertReceiver>();

    /// <summary>Maps <c>POST /alerts</c> and <c>GET /alerts</c>, and keeps the webhook port to the webhook.</summary>
    public static WebApplication MapAlertEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (int.TryParse(app.Configuration[PortKey], out var webhookPort))
        {
            app.Use(async (context, next) =>
            {
                if (context.Connection.LocalPort == webhookPort && !(HttpMethods.IsPost(context.Request.Method) && context.Request.Path == Path))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }

                await next(context).ConfigureAwait(false);
            });
        }

        app.MapPost(Path, (HttpContext http, AlertReceiver receiver, IConfiguration configuration) => ReceiveAsync(http, receiver, configuration[SecretKey]));
        app.MapGet(Path, (AlertReceiver receiver) => Results.Json(receiver.Changes, ReportJson.Options));
        return app;
    }

    /// <summary>
    /// One webhook request: 401 without the secret, 400 (with what is wrong) for a body that is not Alertmanager's
    /// version 4 JSON, else 200 with how many alerts it carried and how many changed state.
    /// </summary>
    public static async Task<IResult> ReceiveAsync(HttpContext http, AlertReceiver receiver, string? secret)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(receiver);
        if (secret is not { Length: > 0 })
        {
            return Results.Json(new { error = $"no webhook secret is configured ({SecretKey}): alerts are refused" }, statusCode: StatusCodes.Status403Forbidden);
        }

        if (!BearerSecret.IsPresentedBy(http.Request, secret))
        {
            return BearerSecret.Refuse(http, "the alert webhook requires Authorization: Bearer <alert-webhook-secret parameter>");
        }

        AlertmanagerWebhook webhook;
        try
        {
            webhook = await AlertmanagerWebhook.ReadAsync(http.Request.Body, http.RequestAborted).ConfigureAwait(false);
        }
        catch (FormatException ex)
        {
            return Results.Json(new { error = ex.Message }, statusCode: StatusCodes.Status400BadRequest);
        }

        var changes = receiver.Receive(webhook);
        return Results.Json(new { alerts = webhook.Alerts.Count, changes = changes.Count });
    }
}
