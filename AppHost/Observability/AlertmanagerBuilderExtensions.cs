using HaStack.AppHost.Observability;

namespace Aspire.Hosting;

public static class AlertmanagerBuilderExtensions
{
    /// <summary>
    /// Adds Alertmanager (<c>Observability/Alertmanager</c>): each alert, firing and resolved, is posted on its own
    /// within about a second to <paramref name="receiver"/>'s <c>POST /alerts</c> on its
    /// <paramref name="receiverEndpointName"/> endpoint, with <paramref name="webhookSecret"/> as the bearer token.
    /// The receiver runs on the host: Alertmanager reaches it as <c>host.docker.internal</c>, so that endpoint must
    /// accept connections from the container network. Point Prometheus at it with <see cref="WithAlertmanager"/>.
    /// </summary>
    public static IResourceBuilder<AlertmanagerResource> AddAlertmanager(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ProjectResource> receiver, string receiverEndpointName,
        IResourceBuilder<ParameterResource> webhookSecret, string baseImage)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(webhookSecret);

        var webhook = receiver.GetEndpoint(receiverEndpointName);
        return builder.AddResource(new AlertmanagerResource(name))
            .WithContainerRuntimeArgs("--add-host=host.docker.internal:host-gateway")
            .WithImage(AlertmanagerContainerImageTags.Image, AlertmanagerContainerImageTags.Tag)
            .WithDockerfile(Path.Combine(builder.AppHostDirectory, "Observability", "Alertmanager"))
            .WithBuildArg("BASE_IMAGE", baseImage)
            .WithHttpEndpoint(targetPort: AlertmanagerResource.Port, name: AlertmanagerResource.HttpEndpointName)
            .WithEnvironment("HASTACK_WEBHOOK_URL", ReferenceExpression.Create($"http://{webhook.Property(EndpointProperty.HostAndPort)}/alerts"))
            .WithEnvironment("HASTACK_WEBHOOK_TOKEN", webhookSecret)
            .WithHttpHealthCheck("/-/ready", endpointName: AlertmanagerResource.HttpEndpointName)
            .WithRelationship(receiver.Resource, "Notifies");
    }

    /// <summary>Makes Prometheus send its alerts to <paramref name="alertmanager"/> (<c>HASTACK_ALERTMANAGER</c>).</summary>
    public static IResourceBuilder<PrometheusResource> WithAlertmanager(
        this IResourceBuilder<PrometheusResource> prometheus, IResourceBuilder<AlertmanagerResource> alertmanager)
    {
        ArgumentNullException.ThrowIfNull(prometheus);
        ArgumentNullException.ThrowIfNull(alertmanager);

        // No WaitFor: Prometheus queues alerts until Alertmanager answers, and its start should not wait on it.
        return prometheus.WithEnvironment("HASTACK_ALERTMANAGER", alertmanager.Resource.HttpEndpoint.Property(EndpointProperty.HostAndPort))
            .WithRelationship(alertmanager.Resource, "Alerts");
    }
}
