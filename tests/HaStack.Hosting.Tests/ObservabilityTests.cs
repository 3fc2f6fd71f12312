using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace HaStack.Hosting.Tests;

public class ObservabilityTests
{
    [Fact]
    public void PrometheusConfigurationIsRenderedFromTheModelWithAJobPerTargetAndTheNodesOverHttps()
    {
        PrometheusTarget[] targets = [
            new("patroni", "pg-1:8008", "member", "pg-1"), new("patroni", "pg-2:8008", "member", "pg-2"),
            new("etcd", "etcd-1:2381", "member", "etcd-1"),
            new("router", "router:8404", "instance_host", "router"),
            new("orders-api", "host.docker.internal:41234", "instance_host", "host.docker.internal"),
        ];

        var yaml = PrometheusConfiguration.Render(targets, alertmanager: "alertmanager:9093", tls: true);

        // YAML is a superset of JSON: every value is quoted, so a name cannot break the file.
        Assert.Contains("  - job_name: \"patroni\"\n    scheme: https\n    tls_config:\n      ca_file: /etc/hastack/tls/ca.crt\n", yaml);
        Assert.Contains("      - targets: [\"pg-2:8008\"]\n        labels: {\"member\": \"pg-2\"}\n", yaml);
        Assert.Contains("  - job_name: \"orders-api\"\n    static_configs:\n      - targets: [\"host.docker.internal:41234\"]", yaml);
        Assert.Contains("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"alertmanager:9093\"]\n", yaml);
        Assert.Single(yaml.Split('\n'), l => l.Contains("job_name: \"patroni\"", StringComparison.Ordinal));
        Assert.DoesNotContain("scheme: https", PrometheusConfiguration.Render(targets, alertmanager: null, tls: false));
        Assert.DoesNotContain("alerting:", PrometheusConfiguration.Render(targets, alertmanager: null, tls: false));
    }

    [Fact]
    public void PrometheusGetsItsConfigurationAsAFileCopiedInAndItsAlertmanagerFromTheModel()
    {
        var (builder, cluster) = Model.Stack();
        var prometheus = cluster.AddPrometheus("prometheus");
        var alertmanager = prometheus.AddAlertmanager("alertmanager", cluster.WithHealthProbe());

        var files = Assert.Single(prometheus.Resource.Annotations.OfType<ContainerFileSystemCallbackAnnotation>(), a => a.DestinationPath == PrometheusConfiguration.Directory);
        Assert.NotNull(files.Callback);
        Assert.Same(alertmanager.Resource, prometheus.Resource.Alertmanager);
        Assert.Empty(prometheus.Resource.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Single(prometheus.Resource.Annotations.OfType<HealthCheckAnnotation>());
        Assert.NotNull(builder);
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
    }
}
