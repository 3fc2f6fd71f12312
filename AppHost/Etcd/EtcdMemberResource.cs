namespace HaStack.AppHost.Etcd;

/// <summary>One member of the etcd cluster that holds Patroni's leader lock and member keys.</summary>
public sealed class EtcdMemberResource(string name) : ContainerResource(name)
{
    public const string ClientEndpointName = "client";
    public const int ClientPort = 2379;
    public const int PeerPort = 2380;

    /// <summary>The client endpoint (HTTP: <c>/health</c>, <c>/metrics</c>, the v3 gRPC gateway).</summary>
    public EndpointReference ClientEndpoint => field ??= new(this, ClientEndpointName);

    /// <summary>How other containers reach this member: <c>name:2379</c>.</summary>
    public string ClientAddress => $"{Name}:{ClientPort}";
}

/// <summary>The etcd members as one unit: what Patroni and Prometheus need to know of them.</summary>
public sealed record EtcdCluster(IReadOnlyList<IResourceBuilder<EtcdMemberResource>> Members)
{
    /// <summary><c>etcd-1:2379,etcd-2:2379,…</c> as Patroni's <c>etcd3.hosts</c> expects.</summary>
    public string Hosts => string.Join(',', Members.Select(m => m.Resource.ClientAddress));
}

/// <summary>The locally built etcd image (Debian trixie's etcd-server 3.5).</summary>
internal static class EtcdContainerImageTags
{
    public const string Image = "hastack/etcd";
    public const string Tag = "3.5-trixie";
}
