namespace HaStack.AppHost.Patroni;

/// <summary>
/// The Patroni cluster: the parent of its nodes in the dashboard (each node keeps its own state and health), and a
/// connection string of its own, the direct multi-host one: every node, the application user, and
/// <c>Target Session Attributes=primary</c>, so Npgsql finds the leader itself and re-checks host roles every second
/// after a failover. Its state follows Patroni (<see cref="PatroniRoleWatcher"/>): <c>Running</c> while a leader holds
/// the lock, with the leader and timeline as properties.
/// </summary>
public sealed class PatroniClusterResource(string name, string scope, ParameterResource appPassword, ParameterResource restPassword)
    : Resource(name), IResourceWithConnectionString
{
    public const string AppUser = "app";
    public const string AppDatabase = "app";
    public const string RestUser = "patroni";
    public const string LeaderPropertyName = "patroni.leader";

    /// <summary>Patroni's leader key in etcd for <paramref name="scope"/> (namespace <c>/service</c>): its value is the leader's name.</summary>
    public static string LeaderKey(string scope) => $"/service/{scope}/leader";

    /// <summary>Whether a leader whose container died is fenced and its lock released at once (<see cref="ContainerFencer"/>).</summary>
    public bool FencedFailover { get; internal set; }

    /// <summary>What the connection string ends with: <c>SSL Mode=VerifyFull</c> and the root certificate (see <see cref="Tls.StackTls.NpgsqlSuffix"/>).</summary>
    public string ConnectionTls { get; internal set; } = "";

    /// <summary>Patroni's scope (the cluster's name in etcd).</summary>
    public string Scope { get; } = scope;

    public ParameterResource AppPassword { get; } = appPassword;

    public ParameterResource RestPassword { get; } = restPassword;

    /// <summary>The nodes, in order (<c>pg-1</c>, <c>pg-2</c>, …).</summary>
    public IReadOnlyList<IResourceBuilder<PatroniNodeResource>> Nodes => _nodes;

    /// <summary><c>pg-1,pg-2,…</c>: what the router and Prometheus iterate over.</summary>
    public string NodeNames => string.Join(',', _nodes.Select(n => n.Resource.Name));

    private readonly List<IResourceBuilder<PatroniNodeResource>> _nodes = [];

    internal void Add(IResourceBuilder<PatroniNodeResource> node) => _nodes.Add(node);

    public ReferenceExpression ConnectionStringExpression
    {
        get
        {
            var expression = new ReferenceExpressionBuilder();
            expression.AppendLiteral("Host=");
            for (var i = 0; i < _nodes.Count; i++)
            {
                var endpoint = _nodes[i].Resource.PostgresEndpoint;
                expression.AppendFormatted(endpoint.Property(EndpointProperty.Host));
                expression.AppendLiteral(":");
                expression.AppendFormatted(endpoint.Property(EndpointProperty.Port));
                expression.AppendLiteral(i < _nodes.Count - 1 ? "," : "");
            }

            expression.AppendLiteral($";Database={AppDatabase};Username={AppUser};Password=");
            expression.AppendFormatted(AppPassword);
            expression.AppendLiteral(";Target Session Attributes=primary;Host Recheck Seconds=1;Timeout=5" + ConnectionTls);
            return expression.Build();
        }
    }
}
