namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// HAProxy in front of the Patroni nodes: <see cref="ReadWritePort"/> reaches the node whose REST API answers
/// <c>GET /primary</c> with 200, <see cref="ReadOnlyPort"/> the nodes answering <c>GET /replica</c>.
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="cluster">The Patroni cluster it routes to.</param>
public sealed class RouterResource(string name, PatroniClusterResource cluster) : ContainerResource(name)
{
    /// <summary>The read-write endpoint's name.</summary>
    public const string ReadWriteEndpointName = "rw";

    /// <summary>The read-only endpoint's name.</summary>
    public const string ReadOnlyEndpointName = "ro";

    /// <summary>The stats and metrics endpoint's name.</summary>
    public const string StatsEndpointName = "stats";

    /// <summary>The read-write port in the container.</summary>
    public const int ReadWritePort = 5000;

    /// <summary>The read-only port in the container.</summary>
    public const int ReadOnlyPort = 5001;

    /// <summary>The stats port in the container (<c>/stats</c>, <c>/metrics</c>).</summary>
    public const int StatsPort = 8404;

    /// <summary>The Patroni cluster it routes to.</summary>
    public PatroniClusterResource Cluster { get; } = cluster ?? throw new ArgumentNullException(nameof(cluster));

    /// <summary>The read-write endpoint.</summary>
    public EndpointReference ReadWriteEndpoint => field ??= new(this, ReadWriteEndpointName);

    /// <summary>The read-only endpoint.</summary>
    public EndpointReference ReadOnlyEndpoint => field ??= new(this, ReadOnlyEndpointName);

    /// <summary>The stats endpoint.</summary>
    public EndpointReference StatsEndpoint => field ??= new(this, StatsEndpointName);
}

/// <summary>The locally built router image (Debian trixie's haproxy 3.0).</summary>
internal static class RouterContainerImageTags
{
    public const string Image = "hastack/haproxy";
    public const string Tag = "3.0-trixie";
}
