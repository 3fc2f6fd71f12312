namespace Aspire.Hosting;

/// <summary>The read-only metrics endpoint of a HaStack .NET service, reachable by Prometheus in a container.</summary>
public static class MetricsEndpointExtensions
{
    /// <summary>The read-only endpoint a .NET service exposes for Prometheus: <c>/metrics</c>, <c>/health</c>, <c>/alive</c>.</summary>
    public const string EndpointName = "metrics";

    /// <summary>
    /// Gives a HaStack service its own read-only <see cref="EndpointName"/> endpoint, the only one it binds beyond
    /// loopback: Prometheus runs in a container and scrapes it through the engine's gateway. The service learns the
    /// port as <c>Metrics:Port</c> and answers nothing else there (ServiceDefaults' <c>MapDefaultEndpoints</c>); its
    /// other endpoints, and every request that changes the cluster, stay on localhost.
    /// </summary>
    /// <param name="project">The .NET service.</param>
    public static IResourceBuilder<T> WithMetricsEndpoint<T>(this IResourceBuilder<T> project)
        where T : IResourceWithEndpoints, IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(project);
        project.WithHttpEndpoint(name: EndpointName).WithEndpoint(EndpointName, endpoint => endpoint.TargetHost = "0.0.0.0");
        return project.WithEnvironment("Metrics__Port", project.GetEndpoint(EndpointName).Property(EndpointProperty.TargetPort));
    }
}
