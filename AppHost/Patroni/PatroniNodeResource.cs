namespace HaStack.AppHost.Patroni;

/// <summary>
/// One Patroni node: a container in which Patroni supervises PostgreSQL (15 or 17, see <see cref="PostgresPlatform"/>). Its role (leader, sync standby, replica)
/// is state that changes on failover; it is published as the resource property <see cref="RolePropertyName"/>.
/// Its connection string is the superuser's, to this node only (for operators and the HealthProbe).
/// </summary>
public sealed class PatroniNodeResource(string name, string containerName, ParameterResource superuserPassword)
    : ContainerResource(name), IResourceWithConnectionString
{
    public const string PostgresEndpointName = "postgres";
    public const string RestEndpointName = "patroni";
    public const int PostgresPort = 5432;
    public const int RestPort = 8008;
    public const string SuperuserName = "postgres";
    public const string MonitorUser = "hastack_monitor";
    public const string RolePropertyName = "patroni.role";

    /// <summary>The container's name in the container engine (what a crash drill kills).</summary>
    public string ContainerName { get; } = containerName;

    public ParameterResource SuperuserPassword { get; } = superuserPassword;

    public EndpointReference PostgresEndpoint => field ??= new(this, PostgresEndpointName);

    public EndpointReference RestEndpoint => field ??= new(this, RestEndpointName);

    public ReferenceExpression ConnectionStringExpression => ConnectionStringFor(SuperuserName, SuperuserPassword);

    /// <summary>What its connection strings end with: <c>SSL Mode=VerifyFull</c> and the root certificate, or nothing.</summary>
    public string ConnectionTls { get; init; } = "";

    /// <summary>This node only, as <paramref name="user"/> (e.g. <see cref="MonitorUser"/> for the HealthProbe).</summary>
    public ReferenceExpression ConnectionStringFor(string user, ParameterResource password) => ReferenceExpression.Create(
        $"Host={PostgresEndpoint.Property(EndpointProperty.Host)};Port={PostgresEndpoint.Property(EndpointProperty.Port)};Username={user};Password={password};Database=postgres{ConnectionTls}");
}

/// <summary>The locally built node image; its tag comes from the platform (<see cref="PostgresPlatform.NodeImageTag"/>).</summary>
internal static class PatroniContainerImageTags
{
    public const string Image = "hastack/patroni";
}
