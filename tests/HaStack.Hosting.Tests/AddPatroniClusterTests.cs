using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace HaStack.Hosting.Tests;

public class AddPatroniClusterTests
{
    [Fact]
    public void AClusterHasTwoNodesNestedUnderItWithPostgresAndPatroniEndpointsAndHealthChecks()
    {
        var (builder, cluster) = Model.Stack();

        Assert.Equal(["pg-1", "pg-2"], cluster.Resource.Nodes.Select(n => n.Resource.Name));
        foreach (var node in cluster.Resource.Nodes.Select(n => n.Resource))
        {
            Assert.Equal("pg", builder.Parent(node.Name));
            var endpoints = node.Annotations.OfType<EndpointAnnotation>().ToDictionary(e => e.Name);
            Assert.Equal(5432, endpoints["postgres"].TargetPort);
            Assert.Equal((8008, "https"), (endpoints["patroni"].TargetPort, endpoints["patroni"].UriScheme));
            Assert.Single(node.Annotations.OfType<HealthCheckAnnotation>());
            Assert.Equal(["etcd-1", "etcd-2", "etcd-3"], builder.WaitsFor(node.Name));
            Assert.Equal($"{node.Name}-role", builder.Resources.OfType<PatroniRoleResource>().Single(r => r.Node == node).Name);
            Assert.StartsWith("pg-", node.ContainerName);
        }

        Assert.Single(cluster.Resource.Annotations.OfType<HealthCheckAnnotation>());
        Assert.Contains("Target Session Attributes=primary", builder.ConnectionString("pg"));
        Assert.Contains("{pg-1.bindings.postgres.host}:{pg-1.bindings.postgres.port},{pg-2.bindings.postgres.host}", builder.ConnectionString("pg"));
        Assert.Contains("Password={pg-app-password.value}", builder.ConnectionString("pg"));
    }

    [Fact]
    public void ItsPasswordsAreGeneratedSecretParametersNamedAfterIt()
    {
        var (builder, _) = Model.Stack();
        var parameters = builder.Resources.OfType<ParameterResource>().ToDictionary(p => p.Name);

        foreach (var name in new[] { "pg-superuser-password", "pg-replication-password", "pg-rewind-password", "pg-app-password", "pg-pgbouncer-auth-password", "pg-monitor-password", "pg-rest-password", "pgbouncer-stats-password", StackTls.AuthorityParameterName })
        {
            Assert.True(parameters[name].Secret, name);
            Assert.NotNull(parameters[name].Default);
        }
    }

    [Fact]
    public void WithReplicasAddsAndRemovesNodesWithTheirRoleRows()
    {
        var (builder, cluster) = Model.Stack();

        cluster.WithReplicas(3);
        Assert.Equal(["pg-1", "pg-2", "pg-3", "pg-4"], builder.Resources.OfType<PatroniNodeResource>().Select(n => n.Name));
        Assert.Contains("{pg-4.bindings.postgres.host}", builder.ConnectionString("pg"));

        cluster.WithReplicas(1);
        Assert.Equal(["pg-1", "pg-2"], builder.Resources.OfType<PatroniNodeResource>().Select(n => n.Name));
        Assert.Equal(["pg-1-role", "pg-2-role"], builder.Resources.OfType<PatroniRoleResource>().Select(r => r.Name));
        Assert.DoesNotContain("pg-3", builder.ConnectionString("pg"));
    }

    [Fact]
    public async Task SettingsReachEveryNodeWhateverTheOrderOfTheCalls()
    {
        var (builder, cluster) = Model.Stack();

        cluster.WithTiming(TimingProfile.Fast).WithSynchronousMode(SynchronousMode.Strict).WithReplicas(2).WithPostgresVersion(15);

        var env = await builder.EnvironmentAsync("pg-3");
        Assert.Equal(("pg-3", "pg:8008".Replace("pg", "pg-3", StringComparison.Ordinal)), (env["PATRONI_NAME"], env["PATRONI_RESTAPI_CONNECT_ADDRESS"]));
        Assert.Equal(("5", "1", "2"), (env["PATRONI_TTL"], env["PATRONI_LOOP_WAIT"], env["PATRONI_RETRY_TIMEOUT"]));
        Assert.Equal(("true", "true", "false"), (env["HASTACK_SYNCHRONOUS_MODE"], env["HASTACK_SYNCHRONOUS_MODE_STRICT"], env["HASTACK_FAILSAFE_MODE"]));
        Assert.Equal("etcd-1:2379,etcd-2:2379,etcd-3:2379", env["PATRONI_ETCD3_HOSTS"]);
        Assert.All(cluster.Resource.Nodes, n => Assert.Equal("15", n.Resource.Annotations.OfType<DockerfileBuildAnnotation>().Single().BuildArguments["PG_MAJOR"]));
    }

    [Fact]
    public void WithTlsOffMakesPlainConnectionStringsAndHttpRestEndpoints()
    {
        var (builder, cluster) = Model.Stack();
        Assert.Contains("SSL Mode=VerifyFull;Root Certificate=", builder.ConnectionString("app"));

        cluster.WithTls(TlsMode.Off);

        foreach (var name in new[] { "pg", "app", "app-ro", "pg-1" })
        {
            Assert.DoesNotContain("SSL Mode", builder.ConnectionString(name));
        }

        Assert.All(cluster.Resource.Nodes, n => Assert.Equal("http", n.Resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "patroni").UriScheme));
    }

    [Fact]
    public void WithDataVolumesKeepsNodesEtcdMembersAndTheBackupRepositoryInNamedVolumes()
    {
        var (builder, cluster) = Model.Stack();
        cluster.WithBackups(TimeSpan.FromHours(1));
        Assert.Equal($"pg-{cluster.Resource.RunId}-backup", cluster.Resource.Backups!.VolumeName);

        cluster.WithDataVolumes().WithReplicas(2);

        foreach (var node in cluster.Resource.Nodes.Select(n => n.Resource))
        {
            var mounts = node.Annotations.OfType<ContainerMountAnnotation>().ToDictionary(m => m.Target, m => (m.Source, m.Type));
            Assert.Equal(($"pg-{node.Name}-data", ContainerMountType.Volume), mounts["/var/lib/postgresql/data"]);
            Assert.Equal(("pg-backup", ContainerMountType.Volume), mounts["/var/lib/pgbackrest"]);
        }

        Assert.All(builder.Resources.OfType<EtcdMemberResource>(), m => Assert.Contains(m.Annotations.OfType<ContainerMountAnnotation>(), a => a.Source == $"pg-{m.Name}-data"));
    }

    [Fact]
    public void TheScopeNamesContainersVolumesAndTheLeaderKey()
    {
        var builder = Model.Builder();
        var cluster = builder.AddPatroniCluster("pg", builder.AddEtcdCluster("etcd"), scope: "orders").WithDataVolumes();

        Assert.Equal($"orders-{cluster.Resource.RunId}-pg-1", cluster.Resource.Nodes[0].Resource.ContainerName);
        Assert.StartsWith($"orders-{cluster.Resource.RunId}-etcd-", cluster.Resource.Etcd.Members[0].Resource.ContainerName);
        Assert.Equal("/service/orders/leader", PatroniClusterResource.LeaderKey(cluster.Resource.Scope));
    }

    public static TheoryData<string, Action> RefusedArguments => new()
    {
        { "name", () => Model.Builder().AddPatroniCluster(Model.Typed("Bad_Name"), Model.Builder().AddEtcdCluster("etcd")) },
        { "name", () => Model.Builder().AddPatroniCluster(Model.Typed("pg;rm -rf /"), Model.Builder().AddEtcdCluster("etcd")) },
        { "scope", () => { var b = Model.Builder(); b.AddPatroniCluster("pg", b.AddEtcdCluster("etcd"), scope: "$(reboot)"); } },
        { "etcd", () => { var b = Model.Builder(); var e = b.AddEtcdCluster("etcd"); b.AddPatroniCluster("pg", e); b.AddPatroniCluster("pg2", e); } },
        { "replicas", () => Model.Stack().Cluster.WithReplicas(0) },
        { "replicas", () => Model.Stack().Cluster.WithReplicas(9) },
        { "major", () => Model.Stack().Cluster.WithPostgresVersion(16) },
        { "major", () => Model.Stack().Cluster.WithSynchronousMode(SynchronousMode.Quorum).WithPostgresVersion(15) },
        { "mode", () => Model.Stack().Cluster.WithPostgresVersion(15).WithSynchronousMode(SynchronousMode.Quorum) },
        { "mode", () => Model.Stack().Cluster.WithSynchronousMode((SynchronousMode)7) },
        { "profile", () => Model.Stack().Cluster.WithTiming((TimingProfile)7) },
        { "mode", () => Model.Stack().Cluster.WithTls((TlsMode)7) },
        { "schedule", () => Model.Stack().Cluster.WithBackups(TimeSpan.FromSeconds(5)) },
        { "name", () => Model.Stack().Cluster.WithBackups(null, name: Model.Typed("Backups!")) },
        { "stack", () => Model.Stack().Cluster.WithBackups(null).WithPointInTimeRestore("pg", DateTimeOffset.UtcNow) },
        { "stack", () => Model.Stack().Cluster.WithBackups(null).WithPointInTimeRestore("a b", DateTimeOffset.UtcNow) },
        { "members", () => Model.Builder().AddEtcdCluster("etcd").WithMembers(2) },
        { "name", () => Model.Builder().AddEtcdCluster(Model.Typed("")) },
        { "router", () => { var b = Model.Builder(); var one = b.AddPatroniCluster("one", b.AddEtcdCluster("etcd1")); var two = b.AddPatroniCluster("two", b.AddEtcdCluster("etcd2")); one.AddPgBouncer("pooler", two.AddHAProxy("router")); } },
        { "name", () => { var c = Model.Stack().Cluster; c.AddHAProxy("second-router"); } },
        { "name", () => Model.Stack().Cluster.AddPrometheus("Prom") },
        { "job", () => { var (_, c) = Model.Stack(); var p = c.AddPrometheus("prometheus"); p.WithScrapeTarget("", p, "http"); } },
    };

    [Theory]
    [MemberData(nameof(RefusedArguments))]
    public void EachWrongArgumentIsRefusedWithItsName(string argument, Action call)
    {
        var error = Assert.ThrowsAny<ArgumentException>(call);

        Assert.Equal(argument, error.ParamName);
    }
}
