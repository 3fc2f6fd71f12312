namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// HaStack's FailoverDrill service, run as a prebuilt .NET app: drills that inject one fault each into the cluster
/// under write load and check that no acknowledged write was lost, and a chaos soak. They run only when asked, from
/// the dashboard's commands or from the host with <see cref="ControlSecret"/>.
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="command">The .NET host.</param>
/// <param name="workingDirectory">The app's folder.</param>
/// <param name="cluster">The Patroni cluster it drills.</param>
/// <param name="controlSecret">The bearer token that starts a drill.</param>
public sealed class FailoverDrillResource(string name, string command, string workingDirectory, PatroniClusterResource cluster, ParameterResource controlSecret)
    : ExecutableResource(name, command, workingDirectory)
{
    /// <summary>The drill API's endpoint on localhost (<c>POST /drills/{kind}</c>, <c>/drills/last</c>, <c>/health</c>).</summary>
    public const string HttpEndpointName = "http";

    /// <summary>The Patroni cluster it drills.</summary>
    public PatroniClusterResource Cluster { get; } = cluster ?? throw new ArgumentNullException(nameof(cluster));

    /// <summary>The bearer token that starts a drill or a soak.</summary>
    public ParameterResource ControlSecret { get; } = controlSecret ?? throw new ArgumentNullException(nameof(controlSecret));

    /// <summary>The drill API's endpoint.</summary>
    public EndpointReference HttpEndpoint => field ??= new(this, HttpEndpointName);
}
