using HaStack.HealthProbe;
using HaStack.HealthProbe.Cli;
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
builder.Services.AddSingleton(ProbeSettings.FromConfiguration(builder.Configuration));
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<ProbeState>();
builder.Services.AddSingleton<ProbeMetrics>();
builder.Services.AddHttpClient(ProbeWorker.HttpClientName);
builder.Services.AddHostedService<ProbeWorker>();
builder.Services.AddHealthChecks().AddCheck<ProbeHealthCheck>(ProbeHealthCheck.Name);

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGet("/status", (ProbeState state) => state.Last is { } report
    ? Results.Json(report, ReportJson.Options)
    : Results.Json(new { verdict = "Unhealthy", error = "no probe cycle has completed yet" }, ReportJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable));

await app.RunAsync();
return 0;
