using Xunit.Abstractions;

namespace HaStack.Tests;

/// <summary>
/// Starts <see cref="Integration.IdleClusterTests"/> first, then the others by name: its five-minute watch then
/// overlaps the collections that run beside it instead of waiting for a free slot (AssemblyInfo.cs).
/// </summary>
public sealed class IdleFirstOrderer : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections
            .OrderBy(c => c.DisplayName.Contains(nameof(Integration.IdleClusterTests), StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(c => c.DisplayName, StringComparer.Ordinal);
}
