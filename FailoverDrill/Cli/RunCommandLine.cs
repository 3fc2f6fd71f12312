using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using HaStack.FailoverDrill.Drills;

namespace HaStack.FailoverDrill.Cli;

/// <summary>
/// <c>FailoverDrill run</c> declared for System.CommandLine: every option with its help text and its parser, whose
/// message is the one line a user sees. <see cref="Bind"/> turns a parse without errors into <see cref="RunOptions"/>.
/// </summary>
internal sealed class RunCommandLine
{
    /// <summary>Where <c>--rest-password</c> comes from when it is not given.</summary>
    public const string PasswordVariable = "HASTACK_PATRONI_PASSWORD";

    // Response files (@file) are off: a value such as a password may start with '@'.
    private static readonly ParserConfiguration s_configuration = new() { ResponseFileTokenReplacer = null };

    public RunCommandLine(Func<RunOptions, CancellationToken, Task<int>> run, Func<WatchOptions, CancellationToken, Task<int>>? watch = null)
    {
        var command = new Command("run",
            "Injects a fault into a Patroni cluster under write load, measures what clients see and checks every acknowledged write " +
            $"against the new leader. Exit codes: {DrillCommandLine.ExitPassed} every drill passed, {DrillCommandLine.ExitFailed} a drill failed, " +
            $"{DrillCommandLine.ExitUsage} bad arguments, {DrillCommandLine.ExitRefused} refused (unreachable or unhealthy cluster).")
        {
            Kind, Rounds, Duration, Seed, Patroni, RootCertificate, Dsn, DirectDsn, KillCommand, StartCommand, Containers, Engine, FaultImage, Etcd, Hold, Fenced, RestUser, RestPassword,
            HealthProbe, Candidate, Switchover, PgBouncerContainer, Json, Verbose, NoColor,
        };
        Kind.Validators.Add(NeedsWhatTheKindUses);
        Service.AddTo(command);
        command.SetAction((result, ct) => run(Bind(result), ct));
        Watch = new WatchCommandLine(watch ?? ((_, _) => Task.FromResult(DrillCommandLine.ExitPassed)));
        Root = new Command("FailoverDrill", "Failover drills against a Patroni cluster, and a service watched through an outside fault.") { command, Watch.Command, new HelpOption() };
    }

    public Command Root { get; }

    /// <summary>The <c>watch</c> command beside <c>run</c>.</summary>
    public WatchCommandLine Watch { get; }

    /// <summary>The <c>--kind</c> of a soak rather than a drill.</summary>
    public const string ChaosKind = "chaos";

    public Option<string> Kind { get; } = new("--kind")
    {
        Description = "switchover: a planned move of the leader through Patroni's REST API; crash: the leader's container is killed; " +
                      "partition: the leader is cut off from everything; dcs-partition: from etcd only; freeze: the leader is paused past the ttl; " +
                      "replica-loss: the sync standby is killed; etcd-member-loss: one etcd member is killed; etcd-quorum-loss: two of three; " +
                      "chaos: random faults of those kinds for --duration, drawn from --seed, under writers that never stop.",
        HelpName = "KIND",
        Required = true,
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (DrillKinds.TryParse(text, out var kind))
            {
                return DrillKinds.Name(kind);
            }

            if (string.Equals(text, ChaosKind, StringComparison.OrdinalIgnoreCase))
            {
                return ChaosKind;
            }

            result.AddError($"--kind is '{text}'; allowed: {DrillKinds.AllNames}, {ChaosKind}");
            return "";
        },
    };

    public Option<TimeSpan?> Duration { get; } = new("--duration")
    {
        Description = "How long a chaos soak injects faults, e.g. 10m, 90s, 1h (the fault running at the end is finished).",
        HelpName = "TIME",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (Soak.SoakDuration.TryParse(text, out var duration))
            {
                return duration;
            }

            result.AddError($"--duration is '{text}'; {Soak.SoakDuration.Allowed}");
            return null;
        },
    };

    public Option<int?> Seed { get; } = new("--seed")
    {
        Description = "Seed of a chaos soak's fault sequence: the same seed draws the same faults in the same order (default: random, printed in the report).",
        HelpName = "N",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seed))
            {
                return seed;
            }

            result.AddError($"--seed is '{text}'; allowed: a whole number from 0 to {int.MaxValue}");
            return null;
        },
    };

    public Option<int> Rounds { get; } = new("--rounds")
    {
        Description = "Drills to run one after another; with more than one, a summary follows.",
        HelpName = "N",
        DefaultValueFactory = _ => 1,
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (int.TryParse(text, CultureInfo.InvariantCulture, out var rounds) && rounds is >= 1 and <= 1000)
            {
                return rounds;
            }

            result.AddError($"--rounds is '{text}'; allowed: a whole number from 1 to 1000");
            return 0;
        },
    };

    public Option<IReadOnlyList<Uri>> Patroni { get; } = new("--patroni")
    {
        Description = "Patroni REST API URLs of the cluster's members, comma-separated.",
        HelpName = "URL[,URL...]",
        Required = true,
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = PatroniUrls,
    };

    public Option<string> Dsn { get; } = new("--dsn")
    {
        Description = "Connection string of the pooled client path (PgBouncer, router) the drill writes through.",
        HelpName = "DSN",
        Required = true,
        CustomParser = ConnectionString,
    };

    public Option<string> DirectDsn { get; } = new("--direct-dsn")
    {
        Description = "Connection string of the direct client path (Npgsql multi-host), measured beside the pooled one.",
        HelpName = "DSN",
        CustomParser = ConnectionString,
    };

    public Option<string> KillCommand { get; } = new("--kill-command")
    {
        Description = "Program and arguments that kill a member (needed by --kind crash), split at spaces and run without a shell; " +
                      "{container} is replaced by the member's container, {member} by its name (only plain names are accepted).",
        HelpName = "\"docker kill {container}\"",
    };

    public Option<string> StartCommand { get; } = new("--start-command")
    {
        Description = "Program and arguments that start the killed member again so it can rejoin; no shell, placeholders as for --kill-command.",
        HelpName = "\"docker start {container}\"",
    };

    public Option<IReadOnlyDictionary<string, string>> Containers { get; } = new("--containers")
    {
        Description = "Container of each Patroni member, when it is not the member's name.",
        HelpName = "member=container,...",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = ContainerMap,
    };

    public Option<string> Engine { get; } = new("--engine")
    {
        Description = "Container engine command for pause (freeze) and for the one-off container that filters a partitioned node's network.",
        HelpName = "docker|podman",
        DefaultValueFactory = _ => "docker",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (HookCommand.UnsafeImageReason(text) is null)
            {
                return text;
            }

            result.AddError($"--engine is '{text}'; expected a program name such as docker or podman");
            return "";
        },
    };

    public Option<string> FaultImage { get; } = new("--fault-image")
    {
        Description = "Image with nft and /etc/patroni/netfault.sh (HaStack's node image), run in the leader's network namespace by partition and dcs-partition.",
        HelpName = "IMAGE",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (HookCommand.UnsafeImageReason(text) is { } reason)
            {
                result.AddError($"--fault-image: {reason}");
            }

            return text;
        },
    };

    public Option<IReadOnlyDictionary<string, Uri>> Etcd { get; } = new("--etcd")
    {
        Description = "etcd members and their metrics URLs (/health, /metrics), for etcd-member-loss and etcd-quorum-loss; their containers go into --containers.",
        HelpName = "member=URL,...",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = EtcdMap,
    };

    public Option<TimeSpan?> Hold { get; } = new("--hold")
    {
        Description = "How long a fault without failover (dcs-partition, replica-loss, etcd-*) is held before it is healed; by default from the cluster's ttl and loop_wait.",
        HelpName = "SECONDS",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (double.TryParse(text, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= 3600)
            {
                return TimeSpan.FromSeconds(seconds);
            }

            result.AddError($"--hold is '{text}'; allowed: seconds from 1 to 3600");
            return null;
        },
    };

    public Option<bool> Fenced { get; } = new("--fenced")
    {
        Description = "The cluster releases a dead leader's lock when its container dies (HaStack's FencedFailover=on): a crash's early release is reported as fencing.",
    };

    public Option<string> RestUser { get; } = new("--rest-user")
    {
        Description = "User of Patroni's REST API.",
        HelpName = "user",
        DefaultValueFactory = _ => "patroni",
    };

    public Option<string> RestPassword { get; } = new("--rest-password")
    {
        Description = $"Password of Patroni's REST API; without it the environment variable {PasswordVariable}.",
        HelpName = "password",
    };

    public Option<Uri> HealthProbe { get; } = new("--health-probe")
    {
        Description = "HealthProbe's URL: a drill is refused while its verdict is Unhealthy.",
        HelpName = "URL",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            {
                return uri;
            }

            result.AddError($"--health-probe is '{text}'; expected an http(s) URL");
            return null;
        },
    };

    /// <summary>The measured service (<c>--service-url</c> and the other <c>--service-</c> options).</summary>
    public ServiceOptions Service { get; } = new();

    public Option<string> Candidate { get; } = new("--candidate")
    {
        Description = "Member a switchover should promote; by default Patroni chooses.",
        HelpName = "MEMBER",
    };

    public Option<SwitchoverMode?> Switchover { get; } = new("--switchover")
    {
        Description = "paused: PgBouncer's read-write database is paused around the handover, so pooled clients wait instead of failing (needs --pgbouncer-container); " +
                      "plain: Patroni's switchover alone. Default: paused when --pgbouncer-container is given, else plain.",
        HelpName = "paused|plain",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (SwitchoverModes.TryParse(text, out var mode))
            {
                return mode;
            }

            result.AddError($"--switchover is '{text}'; allowed: {SwitchoverModes.Allowed}");
            return null;
        },
    };

    public Option<string> PgBouncerContainer { get; } = new("--pgbouncer-container")
    {
        Description = "PgBouncer's container (HaStack's image, with /etc/pgbouncer/console.sh): a switchover pauses and resumes its read-write database there.",
        HelpName = "CONTAINER",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (HookCommand.UnsafeNameReason("--pgbouncer-container", text) is { } reason)
            {
                result.AddError(reason);
            }

            return text;
        },
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the reports and the summary as JSON instead of tables." };

    public Option<FileInfo?> RootCertificate { get; } = new("--cacert")
    {
        Description = "PEM root certificate that Patroni's HTTPS REST API must chain to, e.g. a HaStack stack's own CA (the Root Certificate of its connection strings).",
        HelpName = "file",
        CustomParser = result =>
        {
            var file = new FileInfo(result.Tokens[0].Value);
            if (!file.Exists)
            {
                result.AddError($"--cacert: '{result.Tokens[0].Value}' is not a file");
            }

            return file;
        },
    };

    public Option<bool> Verbose { get; } = new("--verbose") { Description = "Log each phase of a drill." };

    public Option<bool> NoColor { get; } = new("--no-color") { Description = "No colors in the tables (as with the NO_COLOR environment variable)." };

    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args, s_configuration);

    /// <summary>The options of a parse without errors.</summary>
    public RunOptions Bind(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var target = new DrillTarget(
            result.GetRequiredValue(Patroni),
            result.GetRequiredValue(Dsn),
            result.GetValue(DirectDsn),
            result.GetValue(RestUser),
            result.GetValue(RestPassword) ?? Environment.GetEnvironmentVariable(PasswordVariable),
            result.GetValue(KillCommand) is { } kill ? HookCommand.Parse(kill) : null,
            result.GetValue(StartCommand) is { } start ? HookCommand.Parse(start) : null,
            result.GetValue(Containers) ?? new Dictionary<string, string>(),
            result.GetValue(HealthProbe))
        {
            Engine = result.GetValue(Engine) ?? "docker",
            FaultImage = result.GetValue(FaultImage),
            EtcdMembers = result.GetValue(Etcd) ?? new Dictionary<string, Uri>(),
            FencedFailover = result.GetValue(Fenced),
            PgBouncerContainer = result.GetValue(PgBouncerContainer),
            Service = Service.Bind(result),
        };
        var settings = new DrillSettings { Candidate = result.GetValue(Candidate), FaultHold = result.GetValue(Hold), Switchover = result.GetValue(Switchover) };
        var kindName = result.GetValue(Kind);
        var chaos = kindName == ChaosKind;
        return new RunOptions(chaos ? default : DrillKinds.TryParse(kindName, out var kind) ? kind : default, result.GetValue(Rounds), target, settings,
            result.GetValue(Json), result.GetValue(Verbose), result.GetValue(NoColor),
            chaos, result.GetValue(Duration) ?? TimeSpan.Zero, result.GetValue(Seed) ?? Random.Shared.Next())
        {
            RootCertificate = result.GetValue(RootCertificate)?.FullName,
        };
    }

    /// <summary>A kind that kills, starts, filters or asks etcd needs the option that says how: refused at parse time, with the option to add.</summary>
    private void NeedsWhatTheKindUses(OptionResult kind)
    {
        // The token, not the value: a value --kind rejects is its parser's error, not this one.
        if (kind.Tokens is not [{ Value: var text }] || kind.Parent is not CommandResult run)
        {
            return;
        }

        var chaos = string.Equals(text, ChaosKind, StringComparison.OrdinalIgnoreCase);
        if (chaos && run.GetResult(Duration) is null)
        {
            kind.AddError("--kind chaos needs --duration, e.g. --duration 10m");
        }

        if (chaos && run.GetResult(Rounds) is { Implicit: false })
        {
            kind.AddError("--rounds is for one kind of drill; a chaos soak runs for --duration");
        }

        if (!chaos && (run.GetResult(Duration) is not null || run.GetResult(Seed) is not null))
        {
            kind.AddError("--duration and --seed are for --kind chaos");
        }

        if (!DrillKinds.TryParse(text, out var parsed))
        {
            return;
        }

        var name = DrillKinds.Name(parsed);
        if (run.GetResult(Switchover) is not null && parsed != DrillKind.Switchover && !chaos)
        {
            kind.AddError($"--switchover is for --kind switchover (or chaos), not {name}");
        }

        if (parsed == DrillKind.Switchover && run.GetResult(Switchover) is { } mode && mode.Tokens is [{ Value: var modeText }]
            && SwitchoverModes.TryParse(modeText, out var asked) && asked == SwitchoverMode.Paused && run.GetResult(PgBouncerContainer) is null)
        {
            kind.AddError("--switchover paused needs --pgbouncer-container (PgBouncer's container, where its admin console runs)");
        }

        var kills = parsed is DrillKind.Crash or DrillKind.ReplicaLoss or DrillKind.EtcdMemberLoss or DrillKind.EtcdQuorumLoss;
        var starts = parsed is DrillKind.ReplicaLoss or DrillKind.EtcdMemberLoss or DrillKind.EtcdQuorumLoss;
        if (kills && run.GetResult(KillCommand) is null)
        {
            kind.AddError($"--kind {name} needs --kill-command, e.g. --kill-command \"docker kill {{container}}\"");
        }

        if (starts && run.GetResult(StartCommand) is null)
        {
            kind.AddError($"--kind {name} needs --start-command, e.g. --start-command \"docker start {{container}}\"");
        }

        if (parsed is DrillKind.Partition or DrillKind.DcsPartition && run.GetResult(FaultImage) is null)
        {
            kind.AddError($"--kind {name} needs --fault-image (an image with nft and /etc/patroni/netfault.sh: HaStack's node image)");
        }

        if (parsed is DrillKind.EtcdMemberLoss or DrillKind.EtcdQuorumLoss && run.GetResult(Etcd) is null)
        {
            kind.AddError($"--kind {name} needs --etcd, e.g. --etcd etcd-1=http://localhost:2381,etcd-2=…");
        }
    }

    private static IReadOnlyDictionary<string, Uri> EtcdMap(ArgumentResult result)
    {
        var members = new Dictionary<string, Uri>();
        foreach (var pair in result.Tokens[0].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length != 2 || parts[0].Length == 0 || !Uri.TryCreate(parts[1].TrimEnd('/') + "/", UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                result.AddError($"--etcd has '{pair}'; expected member=URL pairs, e.g. etcd-1=http://localhost:2381");
                return members;
            }

            members[parts[0]] = url;
        }

        return members;
    }

    private static IReadOnlyList<Uri> PatroniUrls(ArgumentResult result)
    {
        var urls = new List<Uri>();
        foreach (var url in result.Tokens[0].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                result.AddError($"--patroni has '{url}'; expected http(s) URLs of Patroni REST APIs, e.g. http://pg-1:8008");
                return [];
            }

            urls.Add(uri);
        }

        if (urls.Count == 0)
        {
            result.AddError("--patroni has no URL; expected http(s) URLs of Patroni REST APIs, e.g. http://pg-1:8008");
        }

        return urls;
    }

    internal static string ConnectionString(ArgumentResult result)
    {
        var name = result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
        var value = result.Tokens[0].Value;
        try
        {
            if (string.IsNullOrEmpty(new Npgsql.NpgsqlConnectionStringBuilder(value).Host))
            {
                result.AddError($"{name} has no Host");
            }
        }
        catch (ArgumentException ex)
        {
            result.AddError($"{name} is not a valid connection string: {ex.Message}");
        }

        return value;
    }

    private static IReadOnlyDictionary<string, string> ContainerMap(ArgumentResult result)
    {
        var containers = new Dictionary<string, string>();
        foreach (var pair in result.Tokens[0].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                result.AddError($"--containers has '{pair}'; expected member=container pairs");
                return containers;
            }

            containers[parts[0]] = parts[1];
        }

        return containers;
    }
}
