using System.Diagnostics;
using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// What stays fixed through one drill run once its precondition held, handed to the phases. The ledger and the notes
/// are the two things the phases add to.
/// </summary>
/// <param name="Id">The run id: kind, UTC start, random suffix; the load's rows carry it.</param>
/// <param name="Kind">The fault injected.</param>
/// <param name="Clock">The run's clock: every time in the ledger and the monitor is an offset on it.</param>
/// <param name="Injector">Injects and recovers the fault.</param>
/// <param name="Patroni">The Patroni REST client of the run.</param>
/// <param name="Precondition">What the precondition found: the old leader and the cluster's settings.</param>
/// <param name="Ledger">Every write of the load and its outcome.</param>
/// <param name="Paths">The client paths: <see cref="DrillRunner.PooledPath"/> first, <see cref="DrillRunner.DirectPath"/> last if configured.</param>
/// <param name="Notes">Observations for the report, in the order the phases made them.</param>
internal sealed record DrillRun(
    string Id,
    DrillKind Kind,
    Stopwatch Clock,
    IFaultInjector Injector,
    PatroniClient Patroni,
    DrillPrecondition Precondition,
    WriteLedger Ledger,
    IReadOnlyList<(string Path, NpgsqlDataSource Source)> Paths,
    List<string> Notes)
{
    /// <summary>The leader before the fault: the victim, and the member expected to rejoin.</summary>
    public string OldLeader => Precondition.Leader.Name;

    /// <summary>The measured service's callers (<see cref="DrillTarget.Service"/>), once the load runs; null without a service.</summary>
    public ServiceLoad? Service { get; set; }

    /// <summary>Every path's name: the database paths, then <c>service</c> when one is measured.</summary>
    public IEnumerable<string> PathNames => Service is null ? Paths.Select(p => p.Path) : Paths.Select(p => p.Path).Append(ServiceTarget.PathName);
}
