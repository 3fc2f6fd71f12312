namespace HaStack.FailoverDrill.Drills;

/// <summary>How a switchover drill hands over.</summary>
public enum SwitchoverMode
{
    /// <summary>
    /// PgBouncer's read-write database is paused first (in-flight transactions finish, new ones wait), Patroni hands
    /// over, the pooled path is confirmed on the new leader, then PgBouncer resumes: pooled clients see a stall, no error.
    /// Needs PgBouncer's container (<see cref="DrillTarget.PgBouncerContainer"/>).
    /// </summary>
    Paused,

    /// <summary>Patroni's switchover alone: clients on the old leader see their connections cut.</summary>
    Plain,
}

public static class SwitchoverModes
{
    public const string Allowed = "paused, plain";

    public static string Name(SwitchoverMode mode) => mode == SwitchoverMode.Paused ? "paused" : "plain";

    public static bool TryParse(string? text, out SwitchoverMode mode) =>
        Enum.TryParse(text, ignoreCase: true, out mode) && Enum.IsDefined(mode) && !int.TryParse(text, out _);

    /// <summary>The mode a switchover runs in: the one asked for, else paused when PgBouncer's container is known.</summary>
    public static SwitchoverMode Effective(DrillSettings settings, DrillTarget target) =>
        settings.Switchover ?? (target.PgBouncerContainer is null ? SwitchoverMode.Plain : SwitchoverMode.Paused);
}
