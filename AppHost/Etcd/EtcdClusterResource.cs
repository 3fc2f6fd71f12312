namespace HaStack.AppHost.Etcd;

/// <summary>
/// The etcd cluster that holds Patroni's leader lock and member keys: the parent of its members in the dashboard,
/// with a connection string of its own, <c>etcd-1:2379,etcd-2:2379,…</c> as the stack's containers reach it (what
/// Patroni's <c>etcd3.hosts</c> takes). etcd has no authentication here: anyone who reaches a client port can
/// rewrite the leader key, so the client ports stay on the stack's container network unless
/// <c>HaStack:PublishEtcdClient</c> publishes them to the host's loopback.
/// </summary>
public sealed class EtcdClusterResource(string name) : Resource(name), IResourceWithConnectionString
{
    private readonly List<IResourceBuilder<EtcdMemberResource>> _members = [];

    public IReadOnlyList<IResourceBuilder<EtcdMemberResource>> Members => _members;

    /// <summary><c>etcd-1:2379,etcd-2:2379,…</c> as Patroni's <c>etcd3.hosts</c> expects.</summary>
    public string Hosts => string.Join(',', _members.Select(m => m.Resource.ClientAddress));

    /// <summary><c>etcd-1,etcd-2,…</c>.</summary>
    public string MemberNames => string.Join(',', _members.Select(m => m.Resource.Name));

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Hosts}");

    internal void Add(IResourceBuilder<EtcdMemberResource> member) => _members.Add(member);
}
