using System.Text.RegularExpressions;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A logical replication slot the cluster keeps across failovers: created with <c>failover = true</c> on the leader at
/// bootstrap, in the application database, and kept in sync on every standby by PostgreSQL's slot synchronization
/// (PostgreSQL 17 and later). A consumer (Debezium, a subscriber, Npgsql's logical replication) connects through the
/// cluster's <see cref="LogicalReplicationResource"/> and continues from its position on whichever node leads.
/// </summary>
/// <param name="Name">The slot's name: lowercase letters, digits and '_', as PostgreSQL allows, at most 63.</param>
/// <param name="Plugin">The output plugin: <c>pgoutput</c> (logical replication's own, with publications) or <c>test_decoding</c> (text).</param>
public sealed partial record LogicalSlot(string Name, string Plugin)
{
    /// <summary>The output plugins every node image has.</summary>
    public static IReadOnlyList<string> Plugins { get; } = ["pgoutput", "test_decoding"];

    /// <summary>Whether <paramref name="name"/> is a slot name PostgreSQL accepts.</summary>
    public static bool IsValidName(string? name) => name is not null && SlotName().IsMatch(name);

    /// <summary>The physical slot Patroni gives a member on the leader (<c>pg-2</c> → <c>pg_2</c>).</summary>
    public static string MemberSlotName(string member) => NonSlotCharacters().Replace(member.ToLowerInvariant(), "_");

    [GeneratedRegex("^[a-z0-9_]{1,63}$")]
    private static partial Regex SlotName();

    [GeneratedRegex("[^a-z0-9_]")]
    private static partial Regex NonSlotCharacters();
}
