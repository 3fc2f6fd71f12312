namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// HaStack's HealthProbe, run as a prebuilt .NET app: every second it checks each Patroni node, etcd and PgBouncer's
/// pools, and judges the cluster Healthy, Degraded or Unhealthy. The verdict is this resource's health.
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="command">The .NET host.</param>
/// <param name="workingDirectory">The app's folder.</param>
/// <param name="cluster">The Patroni cluster it watches.</param>
/// <param name="webhookSecret">The bearer token its alert webhook requires.</param>
public sealed class HealthProbeResource(string name, string command, string workingDirectory, PatroniClusterResource cluster, ParameterResource webhookSecret)
    : ExecutableResource(name, command, workingDirectory)
{
    /// <summary>The probe's endpoint on localhost: <c>/status</c>, <c>/health</c>, <c>/metrics</c>.</summary>
    public const string HttpEndpointName = "http";

    /// <summary>
    /// The alert webhook for Alertmanager (a container): bound beyond loopback, answering only <c>POST /alerts</c>
    /// with <see cref="WebhookSecret"/> as the bearer token.
    /// </summary>
    public const string AlertsEndpointName = "alerts";

    /// <summary>The Patroni cluster it watches.</summary>
    public PatroniClusterResource Cluster { get; } = cluster ?? throw new ArgumentNullException(nameof(cluster));

    /// <summary>The bearer token Alertmanager sends to <see cref="AlertsEndpoint"/>.</summary>
    public ParameterResource WebhookSecret { get; } = webhookSecret ?? throw new ArgumentNullException(nameof(webhookSecret));

    /// <summary>The probe's endpoint on localhost.</summary>
    public EndpointReference HttpEndpoint => field ??= new(this, HttpEndpointName);

    /// <summary>The alert webhook's endpoint.</summary>
    public EndpointReference AlertsEndpoint => field ??= new(this, AlertsEndpointName);
}
