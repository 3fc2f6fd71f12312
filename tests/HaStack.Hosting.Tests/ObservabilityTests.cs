using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace HaStack.Hosting.Tests;

public class ObservabilityTests
{
    [Fact]
    public async Task PrometheusScrapesTheNodesEtcdHAProxyAndPgBouncer()
    {
        var (builder, cluster) = Model.Stack();
        var prometheus = cluster.AddPrometheus("prometheus");

        var env = await builder.EnvironmentAsync("prometheus");
        Assert.Equal(("pg-1,pg-2", "etcd-1,etcd-2,etcd-3"), (env["HASTACK_NODES"], env["HASTACK_ETCD"]));
        Assert.Contains("router={router.bindings.stats.host}:{router.bindings.stats.port}", env["HASTACK_TARGETS"]);
        Assert.Contains("pgbouncer={pgbouncer.bindings.metrics.host}", env["HASTACK_TARGETS"]);
        Assert.Single(prometheus.Resource.Annotations.OfType<HealthCheckAnnotation>());
    }

    [Fact]
    public async Task GrafanaIsProvisionedWithFilesCopiedInNotWithBindMounts()
    {
        var (builder, cluster) = Model.Stack();
        cluster.AddPrometheus("prometheus").AddGrafana("grafana");
        var grafana = builder.Get("grafana");

        Assert.Empty(grafana.Annotations.OfType<ContainerMountAnnotation>());
        var destinations = grafana.Annotations.OfType<ContainerFileSystemCallbackAnnotation>().ToDictionary(a => a.DestinationPath);
        var dashboards = await destinations["/var/lib/grafana/dashboards"].Callback(null!, CancellationToken.None);
        Assert.Equal(["hastack-cluster.json", "hastack-drills.json", "hastack-probe.json"], dashboards.Select(f => f.Name).Order());
        var provisioning = await destinations["/etc/grafana/provisioning"].Callback(null!, CancellationToken.None);
        Assert.Equal(["dashboards", "datasources"], provisioning.Select(f => f.Name).Order());
        Assert.True(builder.Resources.OfType<ParameterResource>().Single(p => p.Name == "grafana-admin-password").Secret);
    }

    [Fact]
    public async Task AlertmanagerPostsToTheWebhookAndPrometheusAlertsIt()
    {
        var (builder, cluster) = Model.Stack();
        var prometheus = cluster.AddPrometheus("prometheus");
        var receiver = builder.AddContainer("receiver", "receiver").WithHttpEndpoint(targetPort: 8080, name: "alerts");
        var secret = builder.AddParameter("webhook-secret", secret: true);

        prometheus.AddAlertmanager("alertmanager", receiver.GetEndpoint("alerts"), secret);

        var env = await builder.EnvironmentAsync("alertmanager");
        Assert.Equal("http://{receiver.bindings.alerts.host}:{receiver.bindings.alerts.port}/alerts", env["HASTACK_WEBHOOK_URL"]);
        Assert.Equal("{webhook-secret.value}", env["HASTACK_WEBHOOK_TOKEN"]);
        Assert.Equal("{alertmanager.bindings.http.host}:{alertmanager.bindings.http.port}", (await builder.EnvironmentAsync("prometheus"))["HASTACK_ALERTMANAGER"]);
    }
}
