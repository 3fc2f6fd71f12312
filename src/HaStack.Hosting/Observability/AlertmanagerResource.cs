namespace Aspire.Hosting.ApplicationModel;

/// <summary>Alertmanager: Prometheus' alerts go to it, and it posts every state change to one webhook receiver.</summary>
/// <param name="name">The resource name.</param>
public sealed class AlertmanagerResource(string name) : ContainerResource(name)
{
    /// <summary>The HTTP endpoint's name.</summary>
    public const string HttpEndpointName = "http";

    /// <summary>Alertmanager's port in the container.</summary>
    public const int Port = 9093;

    /// <summary>The HTTP endpoint.</summary>
    public EndpointReference HttpEndpoint => field ??= new(this, HttpEndpointName);
}

/// <summary>The locally built Alertmanager image (Debian trixie's prometheus-alertmanager 0.28).</summary>
internal static class AlertmanagerContainerImageTags
{
    public const string Image = "hastack/alertmanager";
    public const string Tag = "0.28-trixie";
}
