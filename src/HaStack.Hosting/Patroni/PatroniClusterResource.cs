namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A Patroni cluster: the parent of its nodes in the dashboard (each node keeps its own state and health) and the
/// owner of the settings every node, and every component added to it, reads when it starts. Its connection string is
/// the direct multi-host one: every node, the application user, and <c>Target Session Attributes=primary</c>, so
/// Npgsql finds the leader itself and re-checks host roles every second after a failover. Its state follows Patroni:
/// <c>Running</c> while a leader holds the lock, with the leader and timeline as properties.
/// </summary>
public sealed class PatroniClusterResource : Resource, IResourceWithConnectionString
{
    /// <summary>The application role and database every cluster has (created at bootstrap).</summary>
    public const string AppUser = "app";

    /// <summary>The application database.</summary>
    public const string AppDatabase = "app";

    /// <summary>The user of Patroni's REST API for changing operations (switchover, restart).</summary>
    public const string RestUser = "patroni";

    /// <summary>The cluster's property that names the current leader.</summary>
    public const string LeaderPropertyName = "patroni.leader";

    private readonly List<IResourceBuilder<PatroniNodeResource>> _nodes = [];

    /// <summary>Creates the cluster resource; <see cref="PatroniBuilderExtensions.AddPatroniCluster"/> adds its nodes.</summary>
    /// <param name="name">The resource name; nodes are <c>{name}-1</c>, <c>{name}-2</c>, ….</param>
    /// <param name="scope">Patroni's scope: the cluster's name in etcd, and the prefix of its containers and volumes.</param>
    /// <param name="etcd">The etcd cluster that holds the leader lock.</param>
    /// <param name="secrets">The cluster's passwords.</param>
    public PatroniClusterResource(string name, string scope, EtcdClusterResource etcd, PatroniClusterSecrets secrets)
        : base(name)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentNullException.ThrowIfNull(etcd);
        ArgumentNullException.ThrowIfNull(secrets);
        Scope = scope;
        Etcd = etcd;
        Secrets = secrets;
    }

    /// <summary>Patroni's leader key in etcd for <paramref name="scope"/> (namespace <c>/service</c>): its value is the leader's name.</summary>
    /// <param name="scope">Patroni's scope.</param>
    public static string LeaderKey(string scope) => $"/service/{scope}/leader";

    /// <summary>Patroni's scope (the cluster's name in etcd; prefix of its containers and volumes).</summary>
    public string Scope { get; }

    /// <summary>A suffix unique to this AppHost run, in container names: unique on the engine, yet known to the drill.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..8];

    /// <summary>The etcd cluster holding the leader lock.</summary>
    public EtcdClusterResource Etcd { get; }

    /// <summary>The cluster's passwords (Aspire parameters).</summary>
    public PatroniClusterSecrets Secrets { get; }

    /// <summary>The PostgreSQL major version and the Patroni that runs it.</summary>
    public PostgresPlatform Platform { get; internal set; } = PostgresPlatform.Default;

    /// <summary>The timing profile; <see cref="Timing"/> holds its values on <see cref="Platform"/>.</summary>
    public TimingProfile TimingProfile { get; internal set; } = TimingProfile.Default;

    /// <summary>Patroni's ttl, loop_wait and retry_timeout as configured (Patroni's <c>/config</c> has the live values).</summary>
    public PatroniTiming Timing => TimingProfile == TimingProfile.Fast ? Platform.FastTiming : PatroniTiming.Default;

    /// <summary>Synchronous replication.</summary>
    public SynchronousMode SynchronousMode { get; internal set; } = SynchronousMode.On;

    /// <summary>Whether a leader whose container died is fenced and its lock released at once, not after the ttl.</summary>
    public bool FencedFailover { get; internal set; } = true;

    /// <summary>TLS on the cluster's connections (certificates from <see cref="StackTls"/>).</summary>
    public TlsMode TlsMode { get; internal set; } = TlsMode.On;

    /// <summary>Whether data lives in named volumes that outlive the AppHost.</summary>
    public bool DataVolumes { get; internal set; }

    /// <summary>The Debian base image pattern (<c>{release}</c> stands for the Debian release) every image builds on.</summary>
    public string BaseImage { get; internal set; } = "debian:{release}-slim";

    /// <summary>What a connection string ends with: <c>SSL Mode=VerifyFull</c> and, in run mode, the root certificate; nothing with TLS off.</summary>
    public string ConnectionTls => _tls?.NpgsqlSuffix(TlsMode) ?? "";

    /// <summary>The nodes, in order (<c>pg-1</c>, <c>pg-2</c>, …).</summary>
    public IReadOnlyList<IResourceBuilder<PatroniNodeResource>> Nodes => _nodes;

    /// <summary><c>pg-1,pg-2,…</c>: what the router and Prometheus iterate over.</summary>
    public string NodeNames => string.Join(',', _nodes.Select(n => n.Resource.Name));

    /// <summary>The backup repository, once <see cref="BackupBuilderExtensions.WithBackups"/> added it.</summary>
    public BackupRepositoryResource? Backups { get; internal set; }

    /// <summary>The HAProxy router, once added.</summary>
    public RouterResource? Router { get; internal set; }

    /// <summary>The PgBouncer pooler, once added.</summary>
    public PgBouncerResource? PgBouncer { get; internal set; }

    /// <summary>The HealthProbe add-on, once added.</summary>
    public HealthProbeResource? HealthProbe { get; internal set; }

    /// <summary>Logical replication with failover slots, once <see cref="LogicalReplicationBuilderExtensions.WithLogicalFailoverSlot"/> declared one.</summary>
    public LogicalReplicationResource? LogicalReplication { get; internal set; }

    /// <summary>The FailoverDrill add-on, once added.</summary>
    public FailoverDrillResource? FailoverDrills { get; internal set; }

    /// <summary>The base image for one Debian release.</summary>
    /// <param name="release">e.g. <c>trixie</c>.</param>
    public string BaseImageFor(string release) => BaseImage.Replace("{release}", release, StringComparison.Ordinal);

    /// <summary>The base image of every component that is not a Patroni node.</summary>
    public string SharedBaseImage => BaseImageFor(PostgresPlatform.SharedRelease);

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => MultiHostConnectionString(AppUser, Secrets.App);

    /// <summary>
    /// Every node, as <paramref name="user"/> in the application database, with <c>Target Session Attributes=primary</c>:
    /// Npgsql finds the leader itself and re-checks host roles every second after a failover.
    /// </summary>
    /// <param name="user">The PostgreSQL role.</param>
    /// <param name="password">Its password.</param>
    public ReferenceExpression MultiHostConnectionString(string user, ParameterResource password)
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

        expression.AppendLiteral($";Database={AppDatabase};Username={user};Password=");
        expression.AppendFormatted(password);
        expression.AppendLiteral(";Target Session Attributes=primary;Host Recheck Seconds=1;Timeout=5" + ConnectionTls);
        return expression.Build();
    }

    private StackTls? _tls;

    internal void UseTls(StackTls tls) => _tls = tls;

    internal void Add(IResourceBuilder<PatroniNodeResource> node) => _nodes.Add(node);

    internal void RemoveLast() => _nodes.RemoveAt(_nodes.Count - 1);
}
