namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The cluster's logical replication (change data capture): the failover slots it keeps (<see cref="Slots"/>) and the
/// connection a consumer uses, as the <c>cdc</c> role (LOGIN REPLICATION, nothing else). Its connection string is one
/// host that is always the leader: the HAProxy router's read-write port (it checks Patroni's <c>/primary</c> and cuts
/// the old leader's sessions), because replication clients take one host (Npgsql refuses several; Debezium has one
/// <c>database.hostname</c>). Without a router, the cluster's multi-host string (libpq and pgjdbc take it). After a
/// failover the consumer reconnects to the same address and continues from its slot. A child of the cluster in the dashboard.
/// </summary>
/// <param name="name">The resource name, <c>{cluster}-cdc</c>.</param>
/// <param name="cluster">The cluster.</param>
/// <param name="password">The <c>cdc</c> role's password (a generated secret parameter).</param>
public sealed class LogicalReplicationResource(string name, PatroniClusterResource cluster, ParameterResource password)
    : Resource(name), IResourceWithConnectionString, IResourceWithParent<PatroniClusterResource>
{
    /// <summary>The role consumers log in as: it may start replication connections, and nothing else.</summary>
    public const string User = "cdc";

    private readonly List<LogicalSlot> _slots = [];

    /// <inheritdoc />
    public PatroniClusterResource Parent { get; } = cluster ?? throw new ArgumentNullException(nameof(cluster));

    /// <summary>The <c>cdc</c> role's password.</summary>
    public ParameterResource Password { get; } = password ?? throw new ArgumentNullException(nameof(password));

    /// <summary>The slots the cluster keeps, in the order they were declared.</summary>
    public IReadOnlyList<LogicalSlot> Slots => _slots;

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => Parent.Router is { } router
        ? ReferenceExpression.Create(
            $"Host={router.ReadWriteEndpoint.Property(EndpointProperty.Host)};Port={router.ReadWriteEndpoint.Property(EndpointProperty.Port)};Database={PatroniClusterResource.AppDatabase};Username={User};Password={Password};Timeout=5{Parent.ConnectionTls}")
        : Parent.MultiHostConnectionString(User, Password);

    /// <summary><c>name:plugin</c> of each slot, space-separated: what a node's scripts read (<c>HASTACK_LOGICAL_SLOTS</c>).</summary>
    internal string SlotsVariable => string.Join(' ', _slots.Select(s => $"{s.Name}:{s.Plugin}"));

    internal void Add(LogicalSlot slot) => _slots.Add(slot);
}
