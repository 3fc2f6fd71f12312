using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace HaStack.Hosting.Tests;

public class AddPgBouncerTests
{
    [Fact]
    public async Task PgBouncerFollowsTheLeaderThroughEtcdAndItsDatabasesAreConnectionStringsNestedUnderIt()
    {
        var (builder, _) = Model.Stack();

        var env = await builder.EnvironmentAsync("pgbouncer");
        Assert.Equal(("router", "/service/pg/leader", "pg-1,pg-2"), (env["HASTACK_ROUTER"], env["HASTACK_LEADER_KEY"], env["HASTACK_NODES"]));
        Assert.Equal("etcd-1:2379,etcd-2:2379,etcd-3:2379", env["HASTACK_ETCD_HOSTS"]);
        Assert.StartsWith("{pg-pgbouncer-auth-password", env["PGBOUNCER_AUTH_PASSWORD"]);
        Assert.Equal(["router"], builder.WaitsFor("pgbouncer"));
        Assert.Equal(["pg"], builder.WaitsFor("router"));

        Assert.Contains("Database=app;", builder.ConnectionString("app"));
        Assert.Contains("Database=app_ro;", builder.ConnectionString("app-ro"));
        Assert.Contains("{pgbouncer.bindings.pgbouncer.host}", builder.ConnectionString("app"));
        Assert.Same(builder.Get("pgbouncer"), ((PgBouncerDatabaseResource)builder.Get("app-ro")).Parent);
        Assert.Single(builder.Get("app").Annotations.OfType<HealthCheckAnnotation>());
    }

    [Theory]
    [InlineData(TlsMode.On, true)]
    [InlineData(TlsMode.Off, false)]
    public async Task HAProxysBackendsAreRenderedFromTheModelWithEveryNodeAddedLater(TlsMode mode, bool verified)
    {
        var (builder, cluster) = Model.Stack();

        cluster.WithReplicas(2).WithTls(mode);

        var rendered = builder.Get("router").Annotations.OfType<ContainerFileSystemCallbackAnnotation>().Single(a => a.DestinationPath == "/etc/hastack/haproxy");
        var file = Assert.IsType<ContainerFile>(Assert.Single(await rendered.Callback(null!, CancellationToken.None)));
        Assert.Equal("backends.cfg", file.Name);
        foreach (var (backend, check) in new[] { ("primary", "/primary"), ("replicas", "/replica") })
        {
            Assert.Contains($"backend {backend}\n    option httpchk\n    http-check send meth GET uri {check}\n", file.Contents);
        }

        foreach (var node in new[] { "pg-1", "pg-2", "pg-3" })
        {
            var server = $"    server {node} {node}:5432 check port 8008";
            Assert.Equal(2, file.Contents!.Split('\n').Count(l => l.StartsWith(server, StringComparison.Ordinal)));
            Assert.Equal(verified, file.Contents.Contains($"{server} check-ssl verify required ca-file /etc/hastack/tls/ca.crt verifyhost {node} check-sni {node}\n", StringComparison.Ordinal));
        }
    }
}
