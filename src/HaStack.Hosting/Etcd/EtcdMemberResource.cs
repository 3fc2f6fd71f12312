namespace Aspire.Hosting.ApplicationModel;

/// <summary>One member of the etcd cluster that holds Patroni's leader lock and member keys.</summary>
/// <param name="name">The resource name, e.g. <c>etcd-1</c>; the member advertises it to its peers.</param>
/// <param name="cluster">The etcd cluster it belongs to.</param>
public sealed class EtcdMemberResource(string name, EtcdClusterResource cluster) : ContainerResource(name)
{
    /// <summary>The client endpoint's name (published only on request).</summary>
    public const string ClientEndpointName = "client";

    /// <summary>The read-only metrics endpoint's name.</summary>
    public const string MetricsEndpointName = "metrics";

    /// <summary>etcd's client port.</summary>
    public const int ClientPort = 2379;

    /// <summary>etcd's peer port.</summary>
    public const int PeerPort = 2380;

    /// <summary>etcd's metrics port (<c>/health</c>, <c>/metrics</c>).</summary>
    public const int MetricsPort = 2381;

    /// <summary>The etcd cluster it belongs to.</summary>
    public EtcdClusterResource Cluster { get; } = cluster ?? throw new ArgumentNullException(nameof(cluster));

    /// <summary>
    /// The client endpoint (the v3 API: read-write, unauthenticated), published to the host only with
    /// <see cref="EtcdBuilderExtensions.WithClientPortOnHost"/>; containers reach it as <see cref="ClientAddress"/> either way.
    /// </summary>
    public EndpointReference ClientEndpoint => field ??= new(this, ClientEndpointName);

    /// <summary>The read-only endpoint: <c>/health</c> (200 while the member sees a raft leader) and <c>/metrics</c>.</summary>
    public EndpointReference MetricsEndpoint => field ??= new(this, MetricsEndpointName);

    /// <summary>The container's name in the container engine (what an etcd drill kills and starts).</summary>
    public string ContainerName => $"{Cluster.Stack}-{Cluster.RunId}-{Name}";

    /// <summary>The named data volume used when the cluster keeps its data.</summary>
    public string DataVolumeName => $"{Cluster.Stack}-{Name}-data";

    /// <summary>How Prometheus reaches this member's metrics: <c>name:2381</c>.</summary>
    public string MetricsAddress => $"{Name}:{MetricsPort}";

    /// <summary>How other containers reach this member: <c>name:2379</c>.</summary>
    public string ClientAddress => $"{Name}:{ClientPort}";
}

/// <summary>The locally built etcd image (Debian trixie's etcd-server 3.5).</summary>
internal static class EtcdContainerImageTags
{
    public const string Image = "hastack/etcd";
    public const string Tag = "3.5-trixie";
}
