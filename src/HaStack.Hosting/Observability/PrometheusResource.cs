namespace Aspire.Hosting.ApplicationModel;

/// <summary>Prometheus, scraping a Patroni cluster's components. More targets are added with <c>WithScrapeTarget</c>.</summary>
/// <param name="name">The resource name.</param>
/// <param name="cluster">The Patroni cluster it watches.</param>
public sealed class PrometheusResource(string name, PatroniClusterResource cluster) : ContainerResource(name)
{
    /// <summary>The HTTP endpoint's name (UI, API, <c>/-/ready</c>).</summary>
    public const string HttpEndpointName = "http";

    /// <summary>Prometheus' port in the container.</summary>
    public const int Port = 9090;

    /// <summary>The Patroni cluster it watches.</summary>
    public PatroniClusterResource Cluster { get; } = cluster ?? throw new ArgumentNullException(nameof(cluster));

    /// <summary>The HTTP endpoint.</summary>
    public EndpointReference HttpEndpoint => field ??= new(this, HttpEndpointName);

    /// <summary>Jobs and the endpoints they scrape, besides the cluster's own components.</summary>
    internal List<(string Job, EndpointReference Endpoint)> ScrapeTargets { get; } = [];

    /// <summary>Where its alerts go, once added.</summary>
    internal AlertmanagerResource? Alertmanager { get; set; }
}

/// <summary>The locally built Prometheus image (Debian trixie's prometheus 2.53).</summary>
internal static class PrometheusContainerImageTags
{
    public const string Image = "hastack/prometheus";
    public const string Tag = "2.53-trixie";
}
