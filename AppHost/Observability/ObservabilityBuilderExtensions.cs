using HaStack.AppHost.Etcd;
using HaStack.AppHost.Observability;
using HaStack.AppHost.Patroni;
using HaStack.AppHost.Tls;

namespace Aspire.Hosting;

public static class ObservabilityBuilderExtensions
{
    /// <summary>
    /// Adds Prometheus (<c>Observability/Prometheus</c>) scraping every Patroni node's <c>/metrics</c> (labelled
    /// <c>member</c>), every etcd member, and whatever <see cref="WithScrapeTarget"/> adds.
    /// </summary>
    public static IResourceBuilder<PrometheusResource> AddPrometheus(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<PatroniClusterResource> cluster, IResourceBuilder<EtcdClusterResource> etcd, StackTls tls, string baseImage)
    {
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(etcd);

        // Prometheus (a container) scrapes .NET services on the host as host.docker.internal, mapped to the engine's
        // gateway here (Docker Desktop provides it anyway); see DisableContainerTunnel.
        var prometheus = builder.AddResource(new PrometheusResource(name));
        return prometheus
            .WithContainerRuntimeArgs("--add-host=host.docker.internal:host-gateway")
            .WithImage(PrometheusContainerImageTags.Image, PrometheusContainerImageTags.Tag)
            .WithDockerfile(Path.Combine(builder.AppHostDirectory, "Observability", "Prometheus"))
            .WithBuildArg("BASE_IMAGE", baseImage)
            .WithHttpEndpoint(targetPort: PrometheusResource.Port, name: PrometheusResource.HttpEndpointName)
            .WithEnvironment("HASTACK_NODES", cluster.Resource.NodeNames)
            // Patroni's /metrics over HTTPS, verified against the stack's CA.
            .WithRootCertificate(tls)
            .WithEnvironment("HASTACK_ETCD", etcd.Resource.MemberNames)
            .WithEnvironment(context =>
            {
                var targets = new ReferenceExpressionBuilder();
                var separator = "";
                foreach (var (job, endpoint) in prometheus.Resource.ScrapeTargets)
                {
                    targets.AppendLiteral($"{separator}{job}=");
                    separator = ",";
                    targets.AppendFormatted(endpoint.Property(EndpointProperty.HostAndPort));
                }

                context.EnvironmentVariables["HASTACK_TARGETS"] = targets.Build();
            })
            .WithHttpHealthCheck("/-/ready", endpointName: PrometheusResource.HttpEndpointName);
    }

    /// <summary>
    /// Makes Prometheus scrape <c>/metrics</c> on <paramref name="target"/>'s <paramref name="endpointName"/> endpoint
    /// as job <paramref name="job"/>. A host process's endpoint must accept connections from the container network
    /// itself (<see cref="MetricsEndpointExtensions.WithMetricsEndpoint"/>): this changes nothing on the target.
    /// </summary>
    public static IResourceBuilder<PrometheusResource> WithScrapeTarget<T>(
        this IResourceBuilder<PrometheusResource> prometheus, string job, IResourceBuilder<T> target, string endpointName)
        where T : IResourceWithEndpoints
    {
        ArgumentNullException.ThrowIfNull(prometheus);
        ArgumentNullException.ThrowIfNull(target);

        prometheus.Resource.ScrapeTargets.Add((job, target.GetEndpoint(endpointName)));
        return prometheus;
    }

    /// <summary>
    /// Turns off Aspire's container tunnel (unless the user set <c>ASPIRE_ENABLE_CONTAINER_TUNNEL</c>), the default way
    /// containers reach host processes: it needs an image from mcr.microsoft.com that machines without a registry
    /// cannot pull. Containers reach the host's services as <c>host.docker.internal</c> instead. This is app-wide, so
    /// Program.cs calls it where everyone sees it.
    /// </summary>
    public static IDistributedApplicationBuilder DisableContainerTunnel(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration["ASPIRE_ENABLE_CONTAINER_TUNNEL"] ??= "false";
        return builder;
    }

    /// <summary>
    /// Adds Grafana with the provisioned Prometheus datasource (its URL from <c>PROMETHEUS_ENDPOINT</c>) and the
    /// dashboards in <c>Observability/Grafana/dashboards</c>.
    /// </summary>
    public static IResourceBuilder<GrafanaResource> AddGrafana(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<PrometheusResource> prometheus,
        IResourceBuilder<ParameterResource> adminPassword)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(prometheus);

        var grafanaDirectory = Path.Combine(builder.AppHostDirectory, "Observability", "Grafana");
        return builder.AddResource(new GrafanaResource(name))
            .WithImage(GrafanaContainerImageTags.Image, GrafanaContainerImageTags.Tag)
            .WithImageRegistry(GrafanaContainerImageTags.Registry)
            .WithHttpEndpoint(targetPort: GrafanaResource.Port, name: GrafanaResource.HttpEndpointName)
            .WithBindMount(Path.Combine(grafanaDirectory, "provisioning"), "/etc/grafana/provisioning", isReadOnly: true)
            .WithBindMount(Path.Combine(grafanaDirectory, "dashboards"), "/var/lib/grafana/dashboards", isReadOnly: true)
            .WithEnvironment("PROMETHEUS_ENDPOINT", prometheus.Resource.HttpEndpoint)
            .WithEnvironment("GF_SECURITY_ADMIN_USER", "admin")
            .WithEnvironment("GF_SECURITY_ADMIN_PASSWORD", adminPassword)
            .WithEnvironment("GF_AUTH_ANONYMOUS_ENABLED", "false")
            .WithHttpHealthCheck("/api/health", endpointName: GrafanaResource.HttpEndpointName)
            .WaitFor(prometheus);
    }
}
