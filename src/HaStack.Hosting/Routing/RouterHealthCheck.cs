using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HaStack.Hosting;

/// <summary>Healthy when HAProxy's stats show a server UP in the read-write backend.</summary>
internal sealed class RouterHealthCheck(RouterResource router, IHttpClientFactory httpClientFactory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            var csv = await httpClientFactory.CreateClient(nameof(RouterHealthCheck)).GetStringAsync($"{router.StatsEndpoint.Url}/stats;csv", timeout.Token).ConfigureAwait(false);
            var leader = csv.Split('\n').Select(l => l.Split(','))
                .FirstOrDefault(f => f.Length > 17 && f[0] == "primary" && f[1] != "BACKEND" && f[17] == "UP");
            return leader is null
                ? HealthCheckResult.Unhealthy("No Patroni node answers /primary: the read-write port has nowhere to go.")
                : HealthCheckResult.Healthy($"Read-write traffic goes to {leader[1]}.");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"HAProxy stats unreachable: {ex.Message}");
        }
    }
}
