namespace HaStack.AppHost.Routing;

/// <summary>PgBouncer: transaction pooling for the router's two ports, plus its Prometheus exporter.</summary>
public sealed class PgBouncerResource(string name) : ContainerResource(name)
{
    public const string PgBouncerEndpointName = "pgbouncer";
    public const string ExporterEndpointName = "metrics";
    public const int Port = 6432;
    public const int ExporterPort = 9127;
    public const string AuthUser = "pgbouncer_auth";

    public EndpointReference PgBouncerEndpoint => field ??= new(this, PgBouncerEndpointName);
}

/// <summary>The locally built pooler image (Debian trixie's pgbouncer 1.24 and its Go exporter).</summary>
internal static class PgBouncerContainerImageTags
{
    public const string Image = "hastack/pgbouncer";
    public const string Tag = "1.24-trixie";
}
