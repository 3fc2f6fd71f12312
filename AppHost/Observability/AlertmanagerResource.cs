namespace HaStack.AppHost.Observability;

/// <summary>Alertmanager: Prometheus' alerts go to it, and it posts every state change to one webhook receiver.</summary>
public sealed class AlertmanagerResource(string name) : ContainerResource(name)
{
    public const string HttpEndpointName = "http";
    public const int Port = 9093;

    public EndpointReference HttpEndpoint => field ??= new(this, HttpEndpointName);
}

/// <summary>The locally built Alertmanager image (Debian trixie's prometheus-alertmanager 0.28).</summary>
internal static class AlertmanagerContainerImageTags
{
    public const string Image = "hastack/alertmanager";
    public const string Tag = "0.28-trixie";
}
