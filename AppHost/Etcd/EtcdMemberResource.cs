namespace HaStack.AppHost.Etcd;

/// <summary>One member of the etcd cluster that holds Patroni's leader lock and member keys.</summary>
public sealed class EtcdMemberResource(string name, string containerName) : ContainerResource(name)
{
    public const string ClientEndpointName = "client";
    public const string MetricsEndpointName = "metrics";
    public const int ClientPort = 2379;
    public const int PeerPort = 2380;
    public const int MetricsPort = 2381;

    /// <summary>
    /// The client endpoint (the v3 API: read-write, unauthenticated), published to the host only with
    /// <c>HaStack:PublishEtcdClient=true</c>; containers reach it as <see cref="ClientAddress"/> either way.
    /// </summary>
    public EndpointReference ClientEndpoint => field ??= new(this, ClientEndpointName);

    /// <summary>The read-only endpoint: <c>/health</c> (200 while the member sees a raft leader) and <c>/metrics</c>.</summary>
    public EndpointReference MetricsEndpoint => field ??= new(this, MetricsEndpointName);

    /// <summary>The container's name in the container engine (what an etcd drill kills and starts).</summary>
    public string ContainerName { get; } = containerName;

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
