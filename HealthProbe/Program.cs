using HaStack.HealthProbe;
using HaStack.HealthProbe.Cli;
using HaStack.HealthProbe.Probing;
using HaStack.HealthProbe.Service;

// One binary, two faces: `check …` is the one-shot CLI; anything else runs the service.
if (args is ["check", .. var checkArgs])
{
    Console.OutputEncoding = System.Text.Encoding.UTF8;
    return await CheckCommand.RunAsync(checkArgs, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(ProbeMetrics.MeterName);
// Logs are for state changes (ProbeChangeLog), not for the requests of every cycle, health check and scrape.
builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
// The health check service would log the verdict on every poll; ProbeChangeLog logs it once per change.
builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
var settings = ProbeSettings.FromConfiguration(builder.Configuration);
builder.Services.AddSingleton(settings);
// One keyed data source per member (ConnectionStrings:pg-1 …, the pg_monitor role): Npgsql's metrics and traces reach
// the dashboard. Its health check stays off: this service's health is the cluster's verdict, not one connection.
foreach (var member in settings.Targets.Members.Where(m => m is { Name: not null, ConnectionString: not null }))
{
    builder.AddKeyedNpgsqlDataSource(member.Name!,
        s => s.DisableHealthChecks = true,
        b => PostgresInspector.Configure(b.ConnectionStringBuilder, settings.Targets.RequestTimeout));
}

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<ProbeState>();
builder.Services.AddSingleton<ProbeMetrics>();
// Patroni's REST API is HTTPS with the stack's own CA (HaStack:RootCertificate) unless HaStack:Tls is off.
builder.Services.AddHttpClient(ProbeWorker.HttpClientName)
    .ConfigurePrimaryHttpMessageHandler(() => StackTrust.CreateHandler(builder.Configuration[StackTrust.ConfigurationKey]));
builder.Services.AddHostedService<ProbeWorker>();
// Alertmanager's webhook: one structured log line per alert state change (AlertReceiver).
builder.Services.AddAlertReceiver();
builder.Services.AddHealthChecks().AddCheck<ProbeHealthCheck>(ProbeHealthCheck.Name);

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapAlertEndpoints();
app.MapGet("/status", (ProbeState state) => state.Last is { } report
    ? Results.Json(report, ReportJson.Options)
    : Results.Json(new { verdict = "Unhealthy", error = "no probe cycle has completed yet" }, ReportJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable));

await app.RunAsync();
return 0;
