namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The etcd cluster that holds Patroni's leader lock and member keys: the parent of its members in the dashboard,
/// with a connection string of its own, <c>etcd-1:2379,etcd-2:2379,…</c> as the stack's containers reach it (what
/// Patroni's <c>etcd3.hosts</c> takes). etcd has no authentication here: anyone who reaches a client port can
/// rewrite the leader key, so the client ports stay on the stack's container network unless
/// <see cref="EtcdBuilderExtensions.WithClientPortOnHost"/> publishes them to the host's loopback.
/// </summary>
/// <param name="name">The resource name; members are <c>{name}-1</c>, ….</param>
public sealed class EtcdClusterResource(string name) : Resource(name), IResourceWithConnectionString
{
    private readonly List<IResourceBuilder<EtcdMemberResource>> _members = [];

    /// <summary>The members, in order.</summary>
    public IReadOnlyList<IResourceBuilder<EtcdMemberResource>> Members => _members;

    /// <summary>The Patroni cluster whose lock this etcd holds: its scope, TLS and volumes apply here too.</summary>
    public PatroniClusterResource? Cluster { get; internal set; }

    /// <summary>Whether the client port (read-write, unauthenticated) is published to the host's loopback.</summary>
    public bool ClientPortOnHost { get; internal set; }

    /// <summary>A suffix unique to this AppHost run, in container names (the cluster's when it has one).</summary>
    public string RunId => Cluster?.RunId ?? _runId;

    /// <summary>The prefix of container and volume names: the Patroni cluster's scope, or this resource's name.</summary>
    public string Stack => Cluster?.Scope ?? Name;

    /// <summary>Whether client and peer traffic use HTTPS (the Patroni cluster's TLS mode).</summary>
    public bool TlsEnabled => Cluster is { TlsMode: not TlsMode.Off };

    /// <summary><c>etcd-1:2379,etcd-2:2379,…</c> as Patroni's <c>etcd3.hosts</c> expects.</summary>
    public string Hosts => string.Join(',', _members.Select(m => m.Resource.ClientAddress));

    /// <summary><c>etcd-1,etcd-2,…</c>.</summary>
    public string MemberNames => string.Join(',', _members.Select(m => m.Resource.Name));

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Hosts}");

    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];

    internal void Add(IResourceBuilder<EtcdMemberResource> member) => _members.Add(member);

    internal void RemoveLast() => _members.RemoveAt(_members.Count - 1);
}
