namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A database of PgBouncer's as a connection string for applications (read-write → the leader, read-only → the
/// replicas), logged in as the application user.
/// </summary>
/// <param name="name">The resource name (what <c>WithReference</c> names the connection string).</param>
/// <param name="databaseName">The database's name inside PgBouncer.</param>
/// <param name="parent">The PgBouncer it belongs to.</param>
public sealed class PgBouncerDatabaseResource(string name, string databaseName, PgBouncerResource parent)
    : Resource(name), IResourceWithParent<PgBouncerResource>, IResourceWithConnectionString
{
    /// <summary>The PgBouncer it belongs to.</summary>
    public PgBouncerResource Parent { get; } = parent ?? throw new ArgumentNullException(nameof(parent));

    /// <summary>The database's name inside PgBouncer (<c>app</c> or <c>app_ro</c>).</summary>
    public string DatabaseName { get; } = databaseName;

    /// <summary>Whether this is the read-write database.</summary>
    public bool IsReadWrite => DatabaseName == PgBouncerResource.ReadWriteDatabase;

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Parent.PgBouncerEndpoint.Property(EndpointProperty.Host)};Port={Parent.PgBouncerEndpoint.Property(EndpointProperty.Port)};Database={DatabaseName};Username={PatroniClusterResource.AppUser};Password={Parent.Cluster.Secrets.App};Timeout=5;No Reset On Close=true{Parent.Cluster.ConnectionTls}");
}
