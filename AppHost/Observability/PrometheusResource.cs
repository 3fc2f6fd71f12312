namespace HaStack.AppHost.Observability;

/// <summary>Prometheus, scraping every component. Targets are added with <c>WithScrapeTarget</c>.</summary>
public sealed class PrometheusResource(string name) : ContainerResource(name)
{
    public const string HttpEndpointName = "http";
    public const int Port = 9090;

    public EndpointReference HttpEndpoint => field ??= new(this, HttpEndpointName);

    /// <summary>Jobs and the endpoints they scrape (besides Patroni and etcd, which come from the cluster).</summary>
    internal List<(string Job, EndpointReference Endpoint)> ScrapeTargets { get; } = [];
}

/// <summary>The locally built Prometheus image (Debian trixie's prometheus 2.53).</summary>
internal static class PrometheusContainerImageTags
{
    public const string Image = "hastack/prometheus";
    public const string Tag = "2.53-trixie";
}
