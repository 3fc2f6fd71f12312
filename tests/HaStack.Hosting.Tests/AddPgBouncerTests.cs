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

    [Fact]
    public async Task TheRoutersChecksFollowTheNodesAddedAfterIt()
    {
        var (builder, cluster) = Model.Stack();

        cluster.WithReplicas(2);

        Assert.Equal("pg-1,pg-2,pg-3", (await builder.EnvironmentAsync("router"))["HASTACK_NODES"]);
    }
}
