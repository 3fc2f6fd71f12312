using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

public static class HealthProbeBuilderExtensions
{
    /// <summary>The probe's HTTP endpoint on localhost: <c>/status</c>, <c>/health</c>; metrics are on <see cref="MetricsEndpointExtensions.EndpointName"/>.</summary>
    public const string HttpEndpointName = "http";

    /// <summary>
    /// The probe's alert webhook for Alertmanager (a container): bound beyond loopback like the metrics endpoint, and
    /// answering only <c>POST /alerts</c> with the <c>alert-webhook-secret</c> bearer token.
    /// </summary>
    public const string AlertsEndpointName = "alerts";

    /// <summary>
    /// Adds the HealthProbe service: every second it checks each Patroni node (REST API by service discovery, PostgreSQL
    /// as the <c>pg_monitor</c> role <c>hastack_monitor</c>), etcd (read-only <c>/health</c>) and PgBouncer's pools (its
    /// exporter's <c>/metrics</c>), and judges the cluster Healthy, Degraded
    /// or Unhealthy. The verdict is this resource's health on the dashboard; the report is at <c>/status</c>. It is also
    /// Alertmanager's receiver (<see cref="AlertsEndpointName"/>): one structured log line per alert state change.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddHealthProbe(
        this IResourceBuilder<PatroniClusterResource> cluster,
        string name,
        IResourceBuilder<PgBouncerResource> pgbouncer,
        IResourceBuilder<ParameterResource> alertWebhookSecret)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(pgbouncer);
        ArgumentNullException.ThrowIfNull(alertWebhookSecret);
        var builder = cluster.ApplicationBuilder;
        var etcd = cluster.Resource.Etcd;
        var secrets = cluster.Resource.Secrets;
        var timing = cluster.Resource.Timing;
        var schedule = cluster.Resource.Backups?.Schedule;

        // No WaitFor on the cluster: a monitor must run while what it watches is still starting or broken.
        var probe = builder.AddProject<Projects.HealthProbe>(name, o => o.ExcludeLaunchProfile = true)
            .WithHttpEndpoint(name: HttpEndpointName)
            .WithMetricsEndpoint()
            // Patroni's REST API over HTTPS and PostgreSQL with VerifyFull, against the stack's root certificate.
            .WithStackRootCertificate()
            .WithHttpEndpoint(name: AlertsEndpointName)
            .WithEndpoint(AlertsEndpointName, endpoint => endpoint.TargetHost = "0.0.0.0")
            .WithEnvironment("HealthProbe__Members", cluster.Resource.NodeNames)
            .WithEnvironment("HealthProbe__Etcd", etcd.MemberNames)
            // Fallbacks until Patroni's /config answers (the probe reads the live values from there).
            .WithEnvironment("HealthProbe__Ttl", timing.Ttl.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("HealthProbe__LoopWait", timing.LoopWait.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("HealthProbe__RetryTimeout", timing.RetryTimeout.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("HealthProbe__SynchronousMode", cluster.Resource.SynchronousMode == SynchronousMode.Off ? "false" : "true")
            // The pools come from PgBouncer's exporter (services__pgbouncer__metrics__0): the probe holds no PgBouncer login.
            .WithEnvironment("HealthProbe__PgBouncer", pgbouncer.Resource.Name)
            .WithReference(pgbouncer.GetEndpoint(PgBouncerResource.ExporterEndpointName));

        probe.WithEnvironment("Alerts__Port", probe.GetEndpoint(AlertsEndpointName).Property(EndpointProperty.TargetPort))
            .WithEnvironment("Alerts__WebhookSecret", alertWebhookSecret);

        // The backup repository, read with pgbackrest info in the leader's container (docker exec).
        probe.WithEnvironment("HealthProbe__Backup__Stanza", cluster.Resource.Scope);
        if (schedule is { } every)
        {
            probe.WithEnvironment("HealthProbe__Backup__ScheduleSeconds", every.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var node in cluster.Resource.Nodes)
        {
            probe.WithEnvironment($"HealthProbe__Backup__Containers__{node.Resource.Name}", node.Resource.ContainerName);
            // services__pg-1__patroni__0 for service discovery (http://_patroni.pg-1); SQL as the pg_monitor role.
            probe.WithReference(node.Resource.RestEndpoint)
                .WithEnvironment($"ConnectionStrings__{node.Resource.Name}", node.Resource.ConnectionStringFor(PatroniNodeResource.MonitorUser, secrets.Monitor));
        }

        foreach (var member in etcd.Members)
        {
            probe.WithReference(member.Resource.MetricsEndpoint);
        }

        var check = $"{name}-verdict";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(check,
            sp => new HealthProbeVerdictCheck(probe.Resource, sp.GetRequiredService<IHttpClientFactory>()), failureStatus: null, tags: null));
        return probe.WithHealthCheck(check);
    }
}

/// <summary>
/// The probe's own <c>/health</c> says Healthy, Degraded or Unhealthy (the cluster's verdict); an HTTP check would see
/// only 200 or 503 and lose "Degraded". This check reads the word and, when it is not Healthy, the reasons from
/// <c>/status</c>, so the dashboard shows the verdict and why.
/// </summary>
internal sealed class HealthProbeVerdictCheck(ProjectResource probe, IHttpClientFactory httpClientFactory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var url = probe.GetEndpoint(HealthProbeBuilderExtensions.HttpEndpointName).Url;
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
