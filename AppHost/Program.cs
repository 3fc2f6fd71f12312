using HaStack.AppHost;
using HaStack.AppHost.Routing;
using HaStack.AppHost.Tls;
using Microsoft.Extensions.DependencyInjection;

var builder = DistributedApplication.CreateBuilder(args);

HaStackOptions options;
try
{
    options = HaStackOptions.Load(builder.Configuration);
}
catch (HaStackConfigurationException ex)
{
    // Stop before any container starts, with the setting and what it allows: no stack trace.
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var secrets = builder.AddHaStackSecrets(options);
// TLS: the stack's own CA issues every certificate (HaStack:Tls off|on|required).
StackTls tls;
try
{
    tls = builder.AddStackTls(options);
}
catch (HaStackConfigurationException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

builder.Services.AddHostedService<StackReadinessReporter>();
// Containers (Prometheus) reach the host's .NET services through the engine's gateway, not Aspire's tunnel.
builder.DisableContainerTunnel();

// Consensus: the etcd cluster holds Patroni's leader lock.
var etcd = builder.AddEtcdCluster("etcd", options, tls);

// Database: the Patroni cluster (its connection string is the direct multi-host one) and its nodes, each supervising
// its own PostgreSQL.
var cluster = builder.AddPatroniCluster("pg", options, etcd, secrets, tls);

// Backups: the leader archives WAL into the stack's pgBackRest repository; backups at start, on schedule and on
// command. With HaStack:RestoreFrom the cluster bootstraps from another stack's repository (point-in-time recovery).
try
{
    cluster.AddBackupRepository("backups", options);
}
catch (HaStackConfigurationException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

// Routing: HAProxy follows the leader by health checks; PgBouncer pools, its read-write database pointed straight at
// the leader (etcd's leader key), its read-only one through HAProxy's replicas.
var router = builder.AddRouter("router", cluster, tls, options.SharedBaseImage);
var pgbouncer = builder.AddPgBouncer("pgbouncer", router, cluster, etcd, secrets, tls, options.SharedBaseImage);
var app = pgbouncer.AddDatabase("app", "app", secrets.App.Resource);
var appReadOnly = pgbouncer.AddDatabase("app-ro", "app_ro", secrets.App.Resource);

// Observability: Prometheus scrapes every component; Grafana shows it.
var prometheus = builder.AddPrometheus("prometheus", cluster, etcd, tls, options.SharedBaseImage)
    .WithScrapeTarget("router", router, RouterResource.StatsEndpointName)
    .WithScrapeTarget("pgbouncer", pgbouncer, PgBouncerResource.ExporterEndpointName)
    .WaitFor(pgbouncer);
if (options.Grafana)
{
    builder.AddGrafana("grafana", prometheus, secrets.GrafanaAdmin);
}

// Workers: the HealthProbe judges replication health every second (dashboard health, /status, metrics).
var probe = builder.AddHealthProbe("healthprobe", cluster, etcd, pgbouncer, secrets, options, tls);
prometheus.WithScrapeTarget("healthprobe", probe, MetricsEndpointExtensions.EndpointName);

// Alerts: Prometheus' rules (Observability/Prometheus/rules) go to Alertmanager, which posts every state change to the
// probe's webhook; the probe logs each as one structured line.
var alertmanager = builder.AddAlertmanager("alertmanager", probe, HealthProbeBuilderExtensions.AlertsEndpointName, secrets.AlertWebhook, options.SharedBaseImage);
prometheus.WithAlertmanager(alertmanager);

// Workers: on-demand failover drills, gated by the probe's verdict, started only with the control secret.
var failoverDrill = builder.AddFailoverDrill("failoverdrill", cluster, etcd, app, secrets.DrillControl, tls, probe);
prometheus.WithScrapeTarget("failoverdrill", failoverDrill, MetricsEndpointExtensions.EndpointName);

builder.Build().Run();
return 0;
