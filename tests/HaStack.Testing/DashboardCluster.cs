namespace HaStack.Testing;

/// <summary>The default stack with the Aspire dashboard running, so a browser can look at it.</summary>
public sealed class DashboardCluster : HaStackCluster
{
    protected override bool EnableDashboard => true;
}
