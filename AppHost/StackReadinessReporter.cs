using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HaStack.AppHost;

/// <summary>
/// Logs one line once every resource with a health check is healthy: "HaStack is ready: …". The start script and the
/// start-up benchmark wait for it; a newcomer sees when the stack can be used.
/// </summary>
internal sealed class StackReadinessReporter(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ILogger<StackReadinessReporter> logger) : BackgroundService
{
    public const string ReadyMessagePrefix = "HaStack is ready";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var resources = model.Resources.Where(r => r.Annotations.OfType<HealthCheckAnnotation>().Any()).ToArray();
        await Task.WhenAll(resources.Select(r => notifications.WaitForResourceHealthyAsync(r.Name, stoppingToken))).ConfigureAwait(false);

        using var process = Process.GetCurrentProcess();
        var elapsed = DateTime.Now - process.StartTime;
        logger.LogInformation("{Prefix}: {Count} resources healthy {Seconds:0.0} s after the AppHost started ({Names}).",
            ReadyMessagePrefix, resources.Length, elapsed.TotalSeconds, string.Join(", ", resources.Select(r => r.Name)));
    }
}
