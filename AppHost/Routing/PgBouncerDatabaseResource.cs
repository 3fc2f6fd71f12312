namespace HaStack.AppHost.Routing;

/// <summary>
/// A database of PgBouncer's as a connection string for applications (<c>app</c> → leader, <c>app_ro</c> → replicas),
/// logged in as the application user.
/// </summary>
public sealed class PgBouncerDatabaseResource(string name, string databaseName, PgBouncerResource parent, ParameterResource appPassword)
    : Resource(name), IResourceWithParent<PgBouncerResource>, IResourceWithConnectionString
{
    public PgBouncerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Parent.PgBouncerEndpoint.Property(EndpointProperty.Host)};Port={Parent.PgBouncerEndpoint.Property(EndpointProperty.Port)};Database={DatabaseName};Username={Patroni.PatroniClusterResource.AppUser};Password={appPassword};Timeout=5;No Reset On Close=true{Parent.ConnectionTls}");
}
