using HaStack.HealthProbe.Model;
using HaStack.HealthProbe.Probing;
using Npgsql;

namespace HaStack.HealthProbe.Service;

/// <summary>Runs one <see cref="ClusterProbe"/> cycle every interval and publishes the report, metrics and change logs.</summary>
internal sealed partial class ProbeWorker(
    ProbeSettings settings,
    IServiceProvider services,
    IHttpClientFactory httpClientFactory,
    ProbeState state,
    ProbeMetrics metrics,
    ILogger<ProbeWorker> logger) : BackgroundService
{
    public const string HttpClientName = "healthprobe";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Each member's SQL goes through its keyed Aspire.Npgsql data source (registered in Program.cs).
        var targets = settings.Targets with
        {
            Members = settings.Targets.Members.Select(m => m with { DataSource = m.Name is null ? null : services.GetKeyedService<NpgsqlDataSource>(m.Name) }).ToList(),
        };
        await using var probe = new ClusterProbe(targets, settings.Thresholds, httpClientFactory.CreateClient(HttpClientName));
        var changes = new ProbeChangeLog(logger, settings.Thresholds);
        using var timer = new PeriodicTimer(settings.Interval);
        LogStarting(logger, settings.Targets.Members.Count, settings.Interval.TotalSeconds);
        string? lastFailure = null;
        do
        {
            ProbeReport report;
            try
            {
                report = await probe.RunOnceAsync(stoppingToken).ConfigureAwait(false);
                lastFailure = null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bug in a cycle must not stop the probe; say it once, not every second.
                if (lastFailure != ex.Message)
                {
                    LogCycleFailed(logger, ex);
                    lastFailure = ex.Message;
                }

                continue;
            }

            state.Publish(report);
            metrics.RecordCycle(report);
            changes.Observe(report);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Probing {Members} Patroni members every {IntervalSeconds} s")]
    private static partial void LogStarting(ILogger logger, int members, double intervalSeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "A probe cycle failed")]
    private static partial void LogCycleFailed(ILogger logger, Exception exception);
}
