namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A node's Patroni role and timeline as a row of its own in the dashboard's resource list, nested under the node:
/// its <c>State</c> reads e.g. <c>leader on timeline 3</c> (the dashboard capitalises it) and changes within a second or two of a failover
/// (the AppHost's role watcher). It exists because a container's own state belongs to the orchestrator, which
/// rewrites it on every container event, and the resource list shows no custom property. It is linked to its node by
/// a parent relationship only, not <c>IResourceWithParent</c>, whose state would be copied from the node's.
/// </summary>
public sealed class PatroniRoleResource(string name, PatroniNodeResource node) : Resource(name)
{
    /// <summary>The dashboard's resource type column for these rows.</summary>
    public const string ResourceTypeName = "PatroniRole";

    /// <summary>The node whose role this is.</summary>
    public PatroniNodeResource Node { get; } = node;

    /// <summary>The row's name for a node: <c>pg-1-role</c>.</summary>
    public static string NameFor(string node) => node + "-role";
}
