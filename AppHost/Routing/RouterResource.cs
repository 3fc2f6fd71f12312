namespace HaStack.AppHost.Routing;

/// <summary>
/// HAProxy in front of the Patroni nodes: <see cref="ReadWritePort"/> reaches the node whose REST API answers
/// <c>GET /primary</c> with 200, <see cref="ReadOnlyPort"/> the nodes answering <c>GET /replica</c>.
/// </summary>
public sealed class RouterResource(string name) : ContainerResource(name)
{
    public const string ReadWriteEndpointName = "rw";
    public const string ReadOnlyEndpointName = "ro";
    public const string StatsEndpointName = "stats";
    public const int ReadWritePort = 5000;
    public const int ReadOnlyPort = 5001;
    public const int StatsPort = 8404;

    public EndpointReference ReadWriteEndpoint => field ??= new(this, ReadWriteEndpointName);

    public EndpointReference ReadOnlyEndpoint => field ??= new(this, ReadOnlyEndpointName);

    public EndpointReference StatsEndpoint => field ??= new(this, StatsEndpointName);
}

/// <summary>The locally built router image (Debian trixie's haproxy 3.0).</summary>
internal static class RouterContainerImageTags
{
    public const string Image = "hastack/haproxy";
    public const string Tag = "3.0-trixie";
}
