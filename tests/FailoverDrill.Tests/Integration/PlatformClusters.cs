namespace FailoverDrill.Tests.Integration;

/// <summary>PostgreSQL 17 under Patroni 4.0 (Debian trixie), the previous default, with the drill service and a failover slot.</summary>
public sealed class Postgres17Cluster : DrillCluster
{
    protected override IEnumerable<string> Arguments => ["--HaStack:PostgresVersion=17", $"--HaStack:LogicalSlots={CdcSlot}:test_decoding"];
}

/// <summary>The seed's platform: PostgreSQL 15 under Patroni 3.0 (Debian bookworm), with the drill service.</summary>
public sealed class Postgres15Cluster : DrillCluster
{
    protected override IEnumerable<string> Arguments => ["--HaStack:PostgresVersion=15"];
}
