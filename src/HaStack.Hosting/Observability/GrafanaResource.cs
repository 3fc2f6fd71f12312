namespace Aspire.Hosting.ApplicationModel;

/// <summary>Grafana (official image), provisioned with the Prometheus datasource and HaStack's dashboards.</summary>
/// <param name="name">The resource name.</param>
public sealed class GrafanaResource(string name) : ContainerResource(name)
{
    /// <summary>The HTTP endpoint's name.</summary>
    public const string HttpEndpointName = "http";

    /// <summary>Grafana's port in the container.</summary>
    public const int Port = 3000;
}

/// <summary>Image coordinates of the one component not built from a Dockerfile here.</summary>
internal static class GrafanaContainerImageTags
{
    public const string Registry = "docker.io";
    public const string Image = "grafana/grafana";
    public const string Tag = "12.2.1";
}
