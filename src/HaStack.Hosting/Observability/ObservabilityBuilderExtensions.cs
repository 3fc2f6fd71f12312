using HaStack.Hosting;

namespace Aspire.Hosting;

/// <summary>Prometheus, Alertmanager and Grafana for a Patroni cluster.</summary>
public static class ObservabilityBuilderExtensions
{
    /// <summary>
    /// Adds Prometheus and Grafana for <paramref name="cluster"/> (<c>{cluster}-prometheus</c>,
    /// <c>{cluster}-grafana</c>): see <see cref="AddPrometheus"/> and <see cref="AddGrafana"/>.
    /// </summary>
    /// <param name="cluster">The Patroni cluster.</param>
    /// <param name="grafana">Whether to add Grafana too (its image is pulled from Docker Hub).</param>
    public static IResourceBuilder<PatroniClusterResource> WithMonitoring(this IResourceBuilder<PatroniClusterResource> cluster, bool grafana = true)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var prometheus = cluster.AddPrometheus($"{cluster.Resource.Name}-prometheus");
        if (grafana)
        {
            prometheus.AddGrafana($"{cluster.Resource.Name}-grafana");
        }

        return cluster;
    }

    /// <summary>
    /// Adds Prometheus scraping every node of <paramref name="cluster"/> (Patroni's <c>/metrics</c>, labelled
    /// <c>member</c>), every etcd member, the cluster's HAProxy and PgBouncer exporter when it has them, and whatever
    /// <see cref="WithScrapeTarget"/> adds, with HaStack's alert rules. It is healthy once <c>/-/ready</c> answers.
    /// </summary>
    /// <param name="cluster">The Patroni cluster.</param>
    /// <param name="name">The resource name.</param>
    public static IResourceBuilder<PrometheusResource> AddPrometheus(this IResourceBuilder<PatroniClusterResource> cluster, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        Names.ThrowIfInvalid(name, nameof(name));
        var builder = cluster.ApplicationBuilder;
        var resource = cluster.Resource;

        // Prometheus (a container) scrapes .NET services on the host as host.docker.internal, mapped to the engine's
        // gateway here (Docker Desktop provides it anyway); see DisableContainerTunnel.
        var prometheus = builder.AddResource(new PrometheusResource(name, resource));
        return prometheus
            .WithContainerRuntimeArgs("--add-host=host.docker.internal:host-gateway")
            .WithContainerName($"{resource.Scope}-{resource.RunId}-{name}")
            .WithHaStackImage("prometheus", PrometheusContainerImageTags.Image, PrometheusContainerImageTags.Tag)
            .WithHttpEndpoint(targetPort: PrometheusResource.Port, name: PrometheusResource.HttpEndpointName)
            // Patroni's /metrics over HTTPS, verified against the stack's CA.
            .WithRootCertificate(() => resource.TlsMode)
            // Its whole configuration, rendered from the model when it starts (PrometheusConfiguration).
            .WithContainerFiles(PrometheusConfiguration.Directory, async (_, ct) => [
                new ContainerFile
                {
                    Name = PrometheusConfiguration.FileName,
                    Contents = await PrometheusConfiguration.RenderAsync(prometheus.Resource, ct).ConfigureAwait(false),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                },
            ])
            .WithHttpHealthCheck("/-/ready", endpointName: PrometheusResource.HttpEndpointName)
            .WaitFor(cluster);
    }

    /// <summary>
    /// Makes Prometheus scrape <c>/metrics</c> on <paramref name="target"/>'s <paramref name="endpointName"/> endpoint
    /// as job <paramref name="job"/>. A host process's endpoint must accept connections from the container network
    /// itself (<see cref="MetricsEndpointExtensions.WithMetricsEndpoint"/>): this changes nothing on the target.
    /// </summary>
    /// <param name="prometheus">Prometheus.</param>
    /// <param name="job">The job's name (a label of every series).</param>
    /// <param name="target">The resource to scrape.</param>
    /// <param name="endpointName">Its endpoint serving <c>/metrics</c>.</param>
    public static IResourceBuilder<PrometheusResource> WithScrapeTarget<T>(
        this IResourceBuilder<PrometheusResource> prometheus, string job, IResourceBuilder<T> target, string endpointName)
        where T : IResourceWithEndpoints
    {
        ArgumentNullException.ThrowIfNull(prometheus);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentException.ThrowIfNullOrEmpty(job);
        ArgumentException.ThrowIfNullOrEmpty(endpointName);

        prometheus.Resource.ScrapeTargets.Add((job, target.GetEndpoint(endpointName)));
        return prometheus;
    }

    /// <summary>
    /// Adds Alertmanager and makes <paramref name="prometheus"/> send its alerts there. Each alert, firing and
    /// resolved, is posted on its own within about a second to <c>POST /alerts</c> on <paramref name="webhook"/>,
    /// with <paramref name="webhookSecret"/> as the bearer token. A receiver on the host is reached as
    /// <c>host.docker.internal</c>, so its endpoint must accept connections from the container network.
    /// </summary>
    /// <param name="prometheus">Prometheus.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="webhook">The receiver's endpoint.</param>
    /// <param name="webhookSecret">The bearer token the receiver requires.</param>
    public static IResourceBuilder<AlertmanagerResource> AddAlertmanager(
        this IResourceBuilder<PrometheusResource> prometheus, [ResourceName] string name, EndpointReference webhook, IResourceBuilder<ParameterResource> webhookSecret)
    {
        ArgumentNullException.ThrowIfNull(prometheus);
        ArgumentNullException.ThrowIfNull(webhook);
        ArgumentNullException.ThrowIfNull(webhookSecret);
        Names.ThrowIfInvalid(name, nameof(name));
        var builder = prometheus.ApplicationBuilder;

        var alertmanager = builder.AddResource(new AlertmanagerResource(name))
            .WithContainerRuntimeArgs("--add-host=host.docker.internal:host-gateway")
            .WithContainerName($"{prometheus.Resource.Cluster.Scope}-{prometheus.Resource.Cluster.RunId}-{name}")
            .WithHaStackImage("alertmanager", AlertmanagerContainerImageTags.Image, AlertmanagerContainerImageTags.Tag)
            .WithHttpEndpoint(targetPort: AlertmanagerResource.Port, name: AlertmanagerResource.HttpEndpointName)
            .WithEnvironment("HASTACK_WEBHOOK_URL", ReferenceExpression.Create($"http://{webhook.Property(EndpointProperty.HostAndPort)}/alerts"))
            .WithEnvironment("HASTACK_WEBHOOK_TOKEN", webhookSecret)
            .WithHttpHealthCheck("/-/ready", endpointName: AlertmanagerResource.HttpEndpointName)
            .WithRelationship(webhook.Resource, "Notifies");

        // No WaitFor: Prometheus queues alerts until Alertmanager answers, and its start should not wait on it.
        prometheus.Resource.Alertmanager = alertmanager.Resource;
        prometheus.WithRelationship(alertmanager.Resource, "Alerts");
        return alertmanager;
    }

    /// <summary>
    /// Adds Alertmanager with <paramref name="receiver"/>'s webhook as its receiver (see the overload taking an
    /// endpoint): every alert state change becomes one structured log line of the HealthProbe.
    /// </summary>
    /// <param name="prometheus">Prometheus.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="receiver">The cluster's HealthProbe (<see cref="HealthProbeBuilderExtensions.WithHealthProbe"/>).</param>
    public static IResourceBuilder<AlertmanagerResource> AddAlertmanager(
        this IResourceBuilder<PrometheusResource> prometheus, [ResourceName] string name, IResourceBuilder<HealthProbeResource> receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        return prometheus.AddAlertmanager(name, receiver.Resource.AlertsEndpoint,
            receiver.ApplicationBuilder.CreateResourceBuilder(receiver.Resource.WebhookSecret));
    }

    /// <summary>
    /// Adds Grafana (the official image, pinned) with <paramref name="prometheus"/> as its datasource and HaStack's
    /// dashboards (cluster, replication, pooler, drills), provisioned as files copied into the container: nothing is
    /// mounted from the AppHost's machine. The admin password is the generated parameter <c>{name}-admin-password</c>.
    /// </summary>
    /// <param name="prometheus">Prometheus.</param>
    /// <param name="name">The resource name.</param>
    public static IResourceBuilder<GrafanaResource> AddGrafana(this IResourceBuilder<PrometheusResource> prometheus, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(prometheus);
        Names.ThrowIfInvalid(name, nameof(name));
        var builder = prometheus.ApplicationBuilder;
        var adminPassword = builder.AddParameter($"{name}-admin-password", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true)
            .WithDescription("Grafana admin password.");

        return builder.AddResource(new GrafanaResource(name))
            .WithContainerName($"{prometheus.Resource.Cluster.Scope}-{prometheus.Resource.Cluster.RunId}-{name}")
            .WithImage(GrafanaContainerImageTags.Image, GrafanaContainerImageTags.Tag)
            .WithImageRegistry(GrafanaContainerImageTags.Registry)
            .WithHttpEndpoint(targetPort: GrafanaResource.Port, name: GrafanaResource.HttpEndpointName)
            .WithContainerFiles("/etc/grafana/provisioning", Folder("provisioning"))
            .WithContainerFiles("/var/lib/grafana/dashboards", Folder("dashboards"))
            .WithEnvironment("PROMETHEUS_ENDPOINT", prometheus.Resource.HttpEndpoint)
            .WithEnvironment("GF_SECURITY_ADMIN_USER", "admin")
            .WithEnvironment("GF_SECURITY_ADMIN_PASSWORD", adminPassword)
            .WithEnvironment("GF_AUTH_ANONYMOUS_ENABLED", "false")
            .WithHttpHealthCheck("/api/health", endpointName: GrafanaResource.HttpEndpointName)
            .WaitFor(prometheus);
    }

    /// <summary>
    /// Turns off Aspire's container tunnel (unless the user set <c>ASPIRE_ENABLE_CONTAINER_TUNNEL</c>), the default way
    /// containers reach host processes: it needs an image from mcr.microsoft.com that machines without a registry
    /// cannot pull. Containers reach the host's services as <c>host.docker.internal</c> instead. This is app-wide, so
    /// the AppHost calls it where everyone sees it.
    /// </summary>
    /// <param name="builder">The AppHost's builder.</param>
    public static IDistributedApplicationBuilder DisableContainerTunnel(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration["ASPIRE_ENABLE_CONTAINER_TUNNEL"] ??= "false";
        return builder;
    }

    /// <summary>Grafana's embedded <paramref name="folder"/> as container files, sub-folders kept.</summary>
    private static IEnumerable<ContainerFileSystemItem> Folder(string folder)
    {
        var root = new List<ContainerFileSystemItem>();
        foreach (var (path, text) in BuildContexts.Files("grafana", folder))
        {
            var parts = path.Split('/');
            var entries = root;
            foreach (var directory in parts[..^1])
            {
                if (entries.OfType<ContainerDirectory>().FirstOrDefault(d => d.Name == directory) is not { } existing)
                {
                    existing = new ContainerDirectory { Name = directory, Entries = new List<ContainerFileSystemItem>() };
                    entries.Add(existing);
                }

                entries = (List<ContainerFileSystemItem>)existing.Entries;
            }

            entries.Add(new ContainerFile { Name = parts[^1], Contents = text });
        }

        return root;
    }
}
