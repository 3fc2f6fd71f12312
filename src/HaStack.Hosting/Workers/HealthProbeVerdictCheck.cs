using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HaStack.Hosting;

/// <summary>
/// The probe's own <c>/health</c> says Healthy, Degraded or Unhealthy (the cluster's verdict); an HTTP check would see
/// only 200 or 503 and lose "Degraded". This check reads the word and, when it is not Healthy, the reasons from
/// <c>/status</c>, so the dashboard shows the verdict and why.
/// </summary>
internal sealed class HealthProbeVerdictCheck(HealthProbeResource probe, IHttpClientFactory httpClientFactory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var url = probe.HttpEndpoint.Url;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            cancellationToken = timeout.Token;
            var http = httpClientFactory.CreateClient(nameof(HealthProbeVerdictCheck));
            using var response = await http.GetAsync($"{url}/health", cancellationToken).ConfigureAwait(false);
            var word = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
            if (word == nameof(HealthStatus.Healthy))
            {
                return HealthCheckResult.Healthy("The cluster is healthy.");
            }

            var reasons = await ReasonsAsync(http, url, cancellationToken).ConfigureAwait(false);
            return word == nameof(HealthStatus.Degraded)
                ? HealthCheckResult.Degraded(reasons)
                : HealthCheckResult.Unhealthy(reasons);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"The probe does not answer: {ex.Message}");
        }
    }

    private static async Task<string> ReasonsAsync(HttpClient http, string url, CancellationToken ct)
    {
        using var status = await http.GetAsync($"{url}/status", ct).ConfigureAwait(false);
        using var json = System.Text.Json.JsonDocument.Parse(await status.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
        if (json.RootElement.TryGetProperty("reasons", out var reasons))
        {
            return string.Join("; ", reasons.EnumerateArray().Select(r => r.GetString()));
        }

        return json.RootElement.TryGetProperty("error", out var error) ? error.GetString() ?? "" : "";
    }
}
