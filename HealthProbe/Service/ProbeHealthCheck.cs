using HaStack.HealthProbe.Model;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HaStack.HealthProbe.Service;

/// <summary>
/// The cluster's verdict as this service's health, so the Aspire dashboard shows it on the probe's resource: Healthy,
/// Degraded or Unhealthy with the reasons as description. A report older than a few intervals is Unhealthy (stale).
/// </summary>
internal sealed class ProbeHealthCheck(ProbeState state, ProbeSettings settings, TimeProvider time) : IHealthCheck
{
    public const string Name = "cluster-verdict";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (state.Last is not { } report)
        {
            return Task.FromResult(HealthCheckResult.Degraded("No probe cycle has completed yet."));
        }

        var age = time.GetUtcNow() - report.At;
        var staleAfter = TimeSpan.FromTicks(Math.Max(settings.Interval.Ticks * 5, TimeSpan.FromSeconds(10).Ticks));
        if (age > staleAfter)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"The last probe report is {age.TotalSeconds:0} s old: the probe is stuck."));
        }

        var data = new Dictionary<string, object>
        {
            ["leader"] = report.Leader ?? "none",
            ["failoverReady"] = report.FailoverReadiness.Ready,
            ["syncStandbys"] = report.SyncStandbys,
        };
        var description = report.Reasons.Count == 0
            ? $"Leader {report.Leader}; {report.FailoverReadiness.Reason}"
            : string.Join("; ", report.Reasons);
        var result = report.Verdict switch
        {
            Verdict.Healthy => HealthCheckResult.Healthy(description, data),
            Verdict.Degraded => HealthCheckResult.Degraded(description, data: data),
            _ => HealthCheckResult.Unhealthy(description, data: data),
        };
        return Task.FromResult(result);
    }
}
