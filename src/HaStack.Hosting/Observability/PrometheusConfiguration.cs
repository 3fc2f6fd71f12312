using System.Text;

namespace HaStack.Hosting;

/// <summary>One scrape target: its job, its address as Prometheus (in a container) reaches it, and one label.</summary>
/// <param name="Job">The job's name.</param>
/// <param name="Address">host:port on the container network (a host process: <c>host.docker.internal:port</c>).</param>
/// <param name="Label">The label that names it (<c>member</c> for nodes and etcd members, else <c>instance_host</c>).</param>
/// <param name="Value">The label's value.</param>
internal sealed record PrometheusTarget(string Job, string Address, string Label, string Value);

/// <summary>
/// Prometheus' whole configuration, rendered once from the model when its container starts: one job per component
/// and per <c>WithScrapeTarget</c> (with the job name given there), Patroni over HTTPS against the stack's CA when TLS
/// is on, and Alertmanager when one was added. Nothing in the container decodes it again.
/// </summary>
internal static class PrometheusConfiguration
{
    /// <summary>Where the container finds the rendered file.</summary>
    public const string Directory = "/etc/hastack/prometheus";

    public const string FileName = "prometheus.yml";

    /// <summary>Reads the model: each endpoint resolved as Prometheus' own container reaches it.</summary>
    public static async Task<string> RenderAsync(PrometheusResource prometheus, CancellationToken ct)
    {
        var cluster = prometheus.Cluster;
        var context = new ValueProviderContext { Caller = prometheus };
        async Task<string> Resolve(EndpointReference endpoint) =>
            await endpoint.Property(EndpointProperty.HostAndPort).GetValueAsync(context, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"{endpoint.Resource.Name}'s {endpoint.EndpointName} endpoint has no address.");

        var targets = new List<PrometheusTarget>();
        targets.AddRange(cluster.Nodes.Select(n => new PrometheusTarget("patroni", $"{n.Resource.Name}:{PatroniNodeResource.RestPort}", "member", n.Resource.Name)));
        targets.AddRange(cluster.Etcd.Members.Select(m => new PrometheusTarget("etcd", $"{m.Resource.Name}:{EtcdMemberResource.MetricsPort}", "member", m.Resource.Name)));
        IEnumerable<(string Job, EndpointReference Endpoint)> others = [
            .. cluster.Router is { } router ? [("router", router.StatsEndpoint)] : Array.Empty<(string, EndpointReference)>(),
            .. cluster.PgBouncer is { } pgbouncer ? [("pgbouncer", new EndpointReference(pgbouncer, PgBouncerResource.ExporterEndpointName))] : Array.Empty<(string, EndpointReference)>(),
            .. prometheus.ScrapeTargets,
        ];
        foreach (var (job, endpoint) in others)
        {
            var address = await Resolve(endpoint).ConfigureAwait(false);
            targets.Add(new PrometheusTarget(job, address, "instance_host", address.Split(':')[0]));
        }

        var alertmanager = prometheus.Alertmanager is { } am ? await Resolve(am.HttpEndpoint).ConfigureAwait(false) : null;
        return Render(targets, alertmanager, cluster.TlsMode != TlsMode.Off);
    }

    /// <summary>The file itself (YAML; every value is quoted JSON, which YAML reads as it is).</summary>
    public static string Render(IReadOnlyList<PrometheusTarget> targets, string? alertmanager, bool tls)
    {
        var text = new StringBuilder()
            .Append("# Rendered by the AppHost from the model (HaStack.Hosting PrometheusConfiguration).\n")
            .Append("global:\n  scrape_interval: 5s\n  scrape_timeout: 4s\n  evaluation_interval: 5s\n")
            // Alerting rules (unit-tested at image build; some groups evaluate every second, see the file).
            .Append("rule_files:\n  - /etc/prometheus/rules/*.yml\n");
        if (alertmanager is not null)
        {
            text.Append("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [").Append(Quote(alertmanager)).Append("]\n");
        }

        text.Append("scrape_configs:\n  - job_name: \"prometheus\"\n    static_configs:\n      - targets: [\"localhost:9090\"]\n");
        foreach (var job in targets.GroupBy(t => t.Job))
        {
            text.Append("  - job_name: ").Append(Quote(job.Key)).Append('\n');
            if (job.Key == "patroni" && tls)
            {
                text.Append("    scheme: https\n    tls_config:\n      ca_file: ").Append(StackTls.ContainerDirectory).Append("/ca.crt\n");
            }

            text.Append("    static_configs:\n");
            foreach (var target in job)
            {
                text.Append("      - targets: [").Append(Quote(target.Address)).Append("]\n")
                    .Append("        labels: {").Append(Quote(target.Label)).Append(": ").Append(Quote(target.Value)).Append("}\n");
            }
        }

        return text.ToString();
    }

    private static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
