using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace HaStack.Hosting.Tests;

public class LogicalReplicationTests
{
    [Fact]
    public async Task AFailoverSlotAddsTheCdcConnectionAndTellsEachNodeTheSlotsAndTheOtherMembersPhysicalSlots()
    {
        var (builder, cluster) = Model.Stack();
        cluster.WithReplicas(2).WithLogicalFailoverSlot("orders_cdc").WithLogicalFailoverSlot("audit", "test_decoding");

        Assert.Equal("pg", builder.Parent("pg-cdc"));
        Assert.Same(cluster.Resource.LogicalReplication, cluster.GetLogicalReplication().Resource);
        // One host that is always the leader (replication clients take one): the router's read-write port.
        var cdc = builder.ConnectionString("pg-cdc");
        Assert.StartsWith("Host={router.bindings.rw.host};Port={router.bindings.rw.port};Database=app;Username=cdc;Password={pg-cdc-password.value}", cdc);
        Assert.True(builder.Resources.OfType<ParameterResource>().Single(p => p.Name == "pg-cdc-password").Secret);

        var env = await builder.EnvironmentAsync("pg-2");
        Assert.Equal("orders_cdc:pgoutput audit:test_decoding", env["HASTACK_LOGICAL_SLOTS"]);
        Assert.Equal("pg_1,pg_3", env["HASTACK_SYNCHRONIZED_STANDBY_SLOTS"]);
        Assert.Equal("{pg-cdc-password.value}", env["HASTACK_CDC_PASSWORD"]);
    }

    [Fact]
    public void WithoutARouterTheCdcConnectionIsTheMultiHostOne()
    {
        var builder = Model.Builder();
        var cluster = builder.AddPatroniCluster("pg", builder.AddEtcdCluster("etcd")).WithLogicalFailoverSlot("cdc");

        var cdc = builder.ConnectionString("pg-cdc");
        Assert.Contains("{pg-1.bindings.postgres.host}:{pg-1.bindings.postgres.port},{pg-2.bindings.postgres.host}", cdc);
        Assert.Contains("Username=cdc;Password={pg-cdc-password.value};Target Session Attributes=primary", cdc);
    }

    [Fact]
    public async Task WithoutASlotNoNodeRunsLogicalReplication()
    {
        var (builder, _) = Model.Stack();

        Assert.DoesNotContain(builder.Resources, r => r.Name == "pg-cdc");
        Assert.False((await builder.EnvironmentAsync("pg-1")).ContainsKey("HASTACK_LOGICAL_SLOTS"));
        Assert.Contains("WithLogicalFailoverSlot", Assert.Throws<InvalidOperationException>(() => Model.Stack().Cluster.GetLogicalReplication()).Message);
    }

    public static TheoryData<string, string, Action> Refused => new()
    {
        { "name", "not allowed", () => Model.Stack().Cluster.WithLogicalFailoverSlot(Model.Typed("Orders-CDC")) },
        { "name", "not allowed", () => Model.Stack().Cluster.WithLogicalFailoverSlot(Model.Typed("x'; DROP TABLE t; --")) },
        { "name", "declared twice", () => Model.Stack().Cluster.WithLogicalFailoverSlot("cdc").WithLogicalFailoverSlot("cdc") },
        { "plugin", "allowed: pgoutput, test_decoding", () => Model.Stack().Cluster.WithLogicalFailoverSlot("cdc", Model.Typed("wal2json")) },
        { "cluster", "need PostgreSQL 17 or later", () => Model.Stack().Cluster.WithPostgresVersion(15).WithLogicalFailoverSlot("cdc") },
        { "major", "need PostgreSQL 17 or later", () => Model.Stack().Cluster.WithLogicalFailoverSlot("cdc").WithPostgresVersion(15) },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void AWrongSlotIsRefusedWithItsArgumentAndTheReason(string argument, string reason, Action call)
    {
        var error = Assert.ThrowsAny<ArgumentException>(call);

        Assert.Equal(argument, error.ParamName);
        Assert.Contains(reason, error.Message);
    }
}
