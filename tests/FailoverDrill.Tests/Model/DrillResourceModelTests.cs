using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FailoverDrill.Tests.Model;

/// <summary>The drill resource as the AppHost declares it; no container starts.</summary>
public class DrillResourceModelTests
{
    [Fact]
    public async Task DrillResourceOffersACommandPerDrillKindAndKnowsEveryNodesAndEtcdMembersContainer()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--HaStack:Replicas=2"]);
        await using var app = await builder.BuildAsync();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var drill = (IResourceWithEnvironment)model.Resources.Single(r => r.Name == "failoverdrill");

        var commands = drill.Annotations.OfType<ResourceCommandAnnotation>().ToDictionary(c => c.Name, c => c.DisplayName);
        Assert.Equal("Switchover drill", commands["switchover-drill"]);
        Assert.Equal("Crash drill", commands["crash-drill"]);
        Assert.Equal("Chaos soak (10 min)", commands["chaos-soak"]);
        // Every kind the service offers has its command, named as its route.
        Assert.All(Enum.GetValues<HaStack.FailoverDrill.Drills.DrillKind>(), k => Assert.Contains($"{HaStack.FailoverDrill.Drills.DrillKinds.Name(k)}-drill", commands.Keys));

#pragma warning disable CS0618 // The replacement builder API is heavier than this one-line read of a model.
        var env = await drill.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
        var nodes = model.Resources.OfType<PatroniNodeResource>().ToList();
        Assert.Equal(3, nodes.Count);
        var etcd = model.Resources.OfType<EtcdMemberResource>().ToList();
        Assert.Equal(3, etcd.Count);
        // Typed configuration (maps and lists), not "a=b,…" strings.
        Assert.All(nodes, n => Assert.Equal(n.ContainerName, env[$"Drill__Containers__{n.Name}"]));
        Assert.All(etcd, m => Assert.Equal(m.ContainerName, env[$"Drill__Containers__{m.Name}"]));
        Assert.All(etcd, m => Assert.StartsWith("{" + m.Name + ".bindings.metrics.url}", env[$"Drill__Etcd__{m.Name}"]));
        // Fencing-confirmed failover is on by default, and the drill knows it.
        Assert.Equal("true", env["Drill__FencedFailover"]);
        // The node image (as built from its Dockerfile) carries nft and netfault.sh for the partition drills.
        Assert.True(nodes[0].TryGetContainerImageName(out var nodeImage));
        Assert.Equal(nodeImage, env["Drill__FaultImage"]);
        // An argument list, run without a shell.
        Assert.Equal(["docker", "kill", "{container}"], [env["Drill__KillCommand__0"], env["Drill__KillCommand__1"], env["Drill__KillCommand__2"]]);
        Assert.Equal(["{pg-1.bindings.patroni.url}", "{pg-2.bindings.patroni.url}", "{pg-3.bindings.patroni.url}"], [env["Drill__Patroni__0"], env["Drill__Patroni__1"], env["Drill__Patroni__2"]]);
        Assert.Contains("ConnectionStrings__app", env.Keys);
        Assert.Contains("ConnectionStrings__app-direct", env.Keys);
    }

    [Fact]
    public async Task FencingOffIsPassedToTheDrill()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--HaStack:FencedFailover=off"]);
        await using var app = await builder.BuildAsync();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var drill = (IResourceWithEnvironment)model.Resources.Single(r => r.Name == "failoverdrill");

#pragma warning disable CS0618 // As above.
        var env = await drill.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
        Assert.Equal("false", env["Drill__FencedFailover"]);
        Assert.False(model.Resources.OfType<PatroniClusterResource>().Single().FencedFailover);
    }
}
