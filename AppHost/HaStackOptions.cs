using Microsoft.Extensions.Configuration;

namespace HaStack.AppHost;

/// <summary>Whether a dead node's leader lock is released at once (the fencer) or expires by its ttl.</summary>
public enum FencedFailover
{
    /// <summary>The container engine's word that the leader's container died releases its lock in etcd.</summary>
    On,

    /// <summary>Only the lease: a crashed leader's lock expires after the ttl.</summary>
    Off,
}

/// <summary>
/// The <c>HaStack:</c> configuration section, e.g. <c>dotnet run --project AppHost -- --HaStack:Replicas=2</c>.
/// </summary>
public sealed class HaStackOptions
{
    public const string SectionName = "HaStack";
    public const int MaxReplicas = PatroniBuilderExtensions.MaxReplicas;

    /// <summary>Replicas beside the leader: the cluster has <c>Replicas + 1</c> Patroni nodes.</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>etcd members: 1 (no quorum to lose) or 3 (survives one loss).</summary>
    public int EtcdMembers { get; init; } = 3;

    /// <summary>The PostgreSQL major version, which selects the platform (see <see cref="PostgresPlatform"/>).</summary>
    public int PostgresVersion { get; init; } = PostgresPlatform.Default.Major;

    public TimingProfile Timing { get; init; } = TimingProfile.Default;

    public SynchronousMode SynchronousMode { get; init; } = SynchronousMode.On;

    /// <summary>Fencing-confirmed failover: a leader whose container died is replaced at once, not after the ttl.</summary>
    public FencedFailover FencedFailover { get; init; } = FencedFailover.On;

    /// <summary>Whether to run Grafana (its image must be pullable).</summary>
    public bool Grafana { get; init; } = true;

    /// <summary>
    /// Whether etcd's client port (2379, read-write, no authentication) is published to the host, e.g. for
    /// <c>etcdctl</c>. Off by default: only the stack's containers reach it; the host sees the read-only metrics port.
    /// </summary>
    public bool PublishEtcdClient { get; init; }

    /// <summary>Named volumes and user-secret passwords, so data survives an AppHost restart.</summary>
    public bool Persistent { get; init; } = true;

    /// <summary>
    /// The Debian base image every Dockerfile builds on, with <c>{release}</c> standing for the Debian release
    /// (<c>forky</c>, <c>trixie</c>, <c>bookworm</c>); <c>scripts/prepare.sh</c> prints a local one where no registry is reachable.
    /// </summary>
    public string BaseImage { get; init; } = "debian:{release}-slim";

    /// <summary>
    /// The stack's name: Patroni scope, prefix of container and volume names. Two stacks with different names can
    /// keep their data side by side on one machine.
    /// </summary>
    public string Name { get; init; } = "hastack";

    /// <summary>
    /// How often the AppHost takes an incremental backup (a full one when the repository has none, and once a day):
    /// <c>30m</c>, <c>6h</c>, <c>1d</c>… or <c>off</c>. The HealthProbe turns Degraded when the newest backup is older
    /// than twice this.
    /// </summary>
    public TimeSpan? BackupSchedule { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Another stack's name: this stack bootstraps from that stack's backup repository (read-only) by point-in-time
    /// recovery to <see cref="RestoreTime"/>, instead of initdb. Null: a new, empty cluster.
    /// </summary>
    public string? RestoreFrom { get; init; }

    /// <summary>The point in time to recover to (ISO 8601 with an offset, e.g. <c>2026-12-02T12:34:56Z</c>); required with <see cref="RestoreFrom"/>.</summary>
    public DateTimeOffset? RestoreTime { get; init; }

    /// <summary>TLS on every connection: <c>off</c>, <c>on</c> (default) or <c>required</c>.</summary>
    public TlsMode Tls { get; init; } = TlsMode.On;

    /// <summary>
    /// Logical replication slots that survive failover (PostgreSQL 17 and later): <c>name[:plugin]</c>, comma-separated,
    /// e.g. <c>orders_cdc</c> or <c>orders_cdc:test_decoding</c> (default plugin <c>pgoutput</c>). Empty: none.
    /// </summary>
    public IReadOnlyList<LogicalSlot> LogicalSlots { get; init; } = [];

    /// <summary>The platform <see cref="PostgresVersion"/> selects.</summary>
    public PostgresPlatform Platform => PostgresPlatform.For(PostgresVersion);

    public const string ReleasePlaceholder = "{release}";

    /// <summary>Reads and validates the section; every problem is named with what is allowed.</summary>
    /// <exception cref="HaStackConfigurationException">A value is missing its allowed form or range.</exception>
    public static HaStackOptions Load(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var errors = new List<string>();
        // A mistyped key would otherwise be ignored and the stack start with the default.
        var known = typeof(HaStackOptions).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).ToArray();
        foreach (var key in section.GetChildren().Select(c => c.Key).Where(k => !known.Contains(k, StringComparer.OrdinalIgnoreCase)))
        {
            errors.Add($"{SectionName}:{key} is not a setting; known: {string.Join(", ", known)}.");
        }
        var defaults = new HaStackOptions();

        var options = new HaStackOptions
        {
            Replicas = ReadInt(section, nameof(Replicas), defaults.Replicas, 1, MaxReplicas, errors),
            EtcdMembers = ReadInt(section, nameof(EtcdMembers), defaults.EtcdMembers, 1, 3, errors),
            PostgresVersion = ReadPostgresVersion(section, defaults.PostgresVersion, errors),
            Timing = ReadEnum(section, nameof(Timing), defaults.Timing, errors),
            SynchronousMode = ReadEnum(section, nameof(SynchronousMode), defaults.SynchronousMode, errors),
            FencedFailover = ReadEnum(section, nameof(FencedFailover), defaults.FencedFailover, errors),
            Grafana = ReadBool(section, nameof(Grafana), defaults.Grafana, errors),
            PublishEtcdClient = ReadBool(section, nameof(PublishEtcdClient), defaults.PublishEtcdClient, errors),
            Persistent = ReadBool(section, nameof(Persistent), defaults.Persistent, errors),
            BaseImage = section[nameof(BaseImage)] is { Length: > 0 } image ? image : defaults.BaseImage,
            Name = section[nameof(Name)] is { Length: > 0 } name ? name : defaults.Name,
            BackupSchedule = ReadSchedule(section, defaults.BackupSchedule, errors),
            RestoreFrom = section[nameof(RestoreFrom)] is { Length: > 0 } from ? from : null,
            RestoreTime = ReadTime(section, nameof(RestoreTime), errors),
            Tls = ReadEnum(section, nameof(Tls), defaults.Tls, errors),
            LogicalSlots = ReadLogicalSlots(section, errors),
        };

        if (options.RestoreFrom is { } source)
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(source, "^[a-z][a-z0-9-]{0,39}$"))
            {
                errors.Add($"{SectionName}:{nameof(RestoreFrom)} is '{source}'; allowed: the name of another stack (lowercase letters, digits and '-', starting with a letter).");
            }
            else if (source == options.Name)
            {
                errors.Add($"{SectionName}:{nameof(RestoreFrom)} is '{source}', this stack's own name; a restore goes into a new stack: add --{SectionName}:{nameof(Name)}=<new name>.");
            }

            if (options.RestoreTime is null && section[nameof(RestoreTime)] is not { Length: > 0 })
            {
                errors.Add($"{SectionName}:{nameof(RestoreFrom)} needs {SectionName}:{nameof(RestoreTime)}: the point in time to recover to, e.g. {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}.");
            }
        }
        else if (options.RestoreTime is not null)
        {
            errors.Add($"{SectionName}:{nameof(RestoreTime)} is set without {SectionName}:{nameof(RestoreFrom)}: name the stack whose backups to restore.");
        }

        if (!System.Text.RegularExpressions.Regex.IsMatch(options.Name, "^[a-z][a-z0-9-]{0,39}$"))
        {
            errors.Add($"{SectionName}:{nameof(Name)} is '{options.Name}'; allowed: lowercase letters, digits and '-', starting with a letter, at most 40 characters.");
        }

        if (!options.BaseImage.Contains(ReleasePlaceholder, StringComparison.Ordinal))
        {
            errors.Add($"{SectionName}:{nameof(BaseImage)} is '{options.BaseImage}'; allowed: an image name containing {ReleasePlaceholder} (e.g. debian:{ReleasePlaceholder}-slim), because each platform builds on its own Debian release.");
        }

        if (options.SynchronousMode == SynchronousMode.Quorum && !options.Platform.SupportsQuorumCommit)
        {
            errors.Add($"{SectionName}:{nameof(SynchronousMode)} is 'quorum' with {SectionName}:{nameof(PostgresVersion)}={options.PostgresVersion}; quorum commit needs Patroni 4, which runs only with {nameof(PostgresVersion)}={string.Join(" or ", PostgresPlatform.All.Where(p => p.SupportsQuorumCommit).Select(p => p.Major))} (PostgreSQL {options.PostgresVersion} runs Patroni {options.Platform.PatroniVersion}). Allowed here: off, on, strict.");
        }

        if (options.LogicalSlots.Count > 0 && !options.Platform.SupportsFailoverSlots)
        {
            errors.Add($"{SectionName}:{nameof(LogicalSlots)} needs PostgreSQL 17 or later (slot synchronization to standbys); {SectionName}:{nameof(PostgresVersion)} is {options.PostgresVersion}.");
        }

        if (options.EtcdMembers == 2)
        {
            errors.Add($"{SectionName}:{nameof(EtcdMembers)} is '2'; allowed: 1 or 3 (two members have no more fault tolerance than one).");
        }

        if (errors.Count > 0)
        {
            throw new HaStackConfigurationException(errors);
        }

        return options;
    }

    private static int ReadInt(IConfigurationSection section, string key, int fallback, int min, int max, List<string> errors)
    {
        var raw = section[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        if (int.TryParse(raw, out var value) && value >= min && value <= max)
        {
            return value;
        }

        errors.Add($"{SectionName}:{key} is '{raw}'; allowed: a whole number from {min} to {max}.");
        return fallback;
    }

    private static List<LogicalSlot> ReadLogicalSlots(IConfigurationSection section, List<string> errors)
    {
        var slots = new List<LogicalSlot>();
        foreach (var item in (section[nameof(LogicalSlots)] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split(':', 2);
            var slot = new LogicalSlot(parts[0], parts.Length > 1 ? parts[1] : "pgoutput");
            if (!LogicalSlot.IsValidName(slot.Name) || !LogicalSlot.Plugins.Contains(slot.Plugin))
            {
                errors.Add($"{SectionName}:{nameof(LogicalSlots)} has '{item}'; allowed: name[:plugin], comma-separated, a name of lowercase letters, digits and '_' (at most 63), a plugin of {string.Join(", ", LogicalSlot.Plugins)}.");
            }
            else if (slots.Any(s => s.Name == slot.Name))
            {
                errors.Add($"{SectionName}:{nameof(LogicalSlots)} names '{slot.Name}' twice.");
            }
            else
            {
                slots.Add(slot);
            }
        }

        return slots;
    }

    private static int ReadPostgresVersion(IConfigurationSection section, int fallback, List<string> errors)
    {
        var raw = section[nameof(PostgresVersion)];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        if (int.TryParse(raw, out var value) && PostgresPlatform.All.Any(p => p.Major == value))
        {
            return value;
        }

        var allowed = string.Join(" or ", PostgresPlatform.All.Select(p => $"{p.Major} ({p.Describe()})"));
        errors.Add($"{SectionName}:{nameof(PostgresVersion)} is '{raw}'; allowed: {allowed}.");
        return fallback;
    }

    private static TimeSpan? ReadSchedule(IConfigurationSection section, TimeSpan? fallback, List<string> errors)
    {
        var raw = section[nameof(BackupSchedule)];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        if (raw.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var match = System.Text.RegularExpressions.Regex.Match(raw, "^([1-9][0-9]{0,4})(m|h|d)$");
        if (match.Success)
        {
            var count = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var value = match.Groups[2].Value switch
            {
                "m" => TimeSpan.FromMinutes(count),
                "h" => TimeSpan.FromHours(count),
                _ => TimeSpan.FromDays(count),
            };
            if (value >= TimeSpan.FromMinutes(1) && value <= TimeSpan.FromDays(31))
            {
                return value;
            }
        }

        errors.Add($"{SectionName}:{nameof(BackupSchedule)} is '{raw}'; allowed: an interval of minutes, hours or days from 1m to 31d (e.g. 30m, 6h, 1d), or off.");
        return fallback;
    }

    private static DateTimeOffset? ReadTime(IConfigurationSection section, string key, List<string> errors)
    {
        var raw = section[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        // An offset is required: a time without one would mean the AppHost's zone here and UTC in the containers.
        if (System.Text.RegularExpressions.Regex.IsMatch(raw, "(Z|[+-][0-9]{2}:?[0-9]{2})$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)
            && DateTimeOffset.TryParse(raw, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var value))
        {
            return value;
        }

        errors.Add($"{SectionName}:{key} is '{raw}'; allowed: an ISO 8601 time with its offset, e.g. {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ} or 2026-12-02T13:34:56+01:00.");
        return null;
    }

    private static bool ReadBool(IConfigurationSection section, string key, bool fallback, List<string> errors)
    {
        var raw = section[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        if (bool.TryParse(raw, out var value))
        {
            return value;
        }

        errors.Add($"{SectionName}:{key} is '{raw}'; allowed: true or false.");
        return fallback;
    }

    private static T ReadEnum<T>(IConfigurationSection section, string key, T fallback, List<string> errors)
        where T : struct, Enum
    {
        var raw = section[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        if (!int.TryParse(raw, out _) && Enum.TryParse<T>(raw, ignoreCase: true, out var value))
        {
            return value;
        }

        var allowed = string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()));
        errors.Add($"{SectionName}:{key} is '{raw}'; allowed: {allowed}.");
        return fallback;
    }
}
