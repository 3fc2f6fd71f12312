namespace FailoverDrill.Tests.Integration;

/// <summary>
/// The default stack on its own for the service-path tests: their drills and soak run failovers in this process (not
/// through the drill service), so they do not share the cluster whose tests expect the timeline they started with.
/// </summary>
public sealed class ServiceCluster : DrillCluster;
