using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using HaStack.FailoverDrill.Drills;
using HaStack.FailoverDrill.Watch;

namespace HaStack.FailoverDrill.Cli;

/// <summary>The parsed <c>watch</c> command.</summary>
public sealed record WatchOptions(WatchTarget Target, bool Json, bool Verbose, bool NoColor);

/// <summary>
/// <c>FailoverDrill watch</c>: a service measured through an outside fault (<see cref="ServiceWatch"/>), for a database
/// the drills cannot drive, e.g. Aspire's single-node <c>AddPostgres</c>: its container killed, held down, started.
/// </summary>
internal sealed class WatchCommandLine
{
    public WatchCommandLine(Func<WatchOptions, CancellationToken, Task<int>> run)
    {
        Command = new Command("watch",
            "Calls a service's write and read endpoints from several callers, kills a container (its database), starts it again after --hold, " +
            "and checks every write the service acknowledged against its table. Exit codes as for run.")
        {
            Dsn, Container, KillCommand, StartCommand, Hold, Recover, Json, Verbose, NoColor,
        };
        Service.Url.Required = true;
        Service.AddTo(Command);
        Command.SetAction((result, ct) => run(Bind(result), ct));
    }

    public Command Command { get; }

    public ServiceOptions Service { get; } = new();

    public Option<string> Dsn { get; } = new("--dsn")
    {
        Description = "Connection string of the database the service writes to, where its writes are looked up after the fault (the primary of its hosts).",
        HelpName = "DSN",
        Required = true,
        CustomParser = RunCommandLine.ConnectionString,
    };

    public Option<string> Container { get; } = new("--container")
    {
        Description = "The container to kill: the service's database.",
        HelpName = "CONTAINER",
        Required = true,
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (HookCommand.UnsafeNameReason("--container", text) is { } reason)
            {
                result.AddError(reason);
            }

            return text;
        },
    };

    public Option<string> KillCommand { get; } = new("--kill-command")
    {
        Description = "Program and arguments that kill the container, split at spaces and run without a shell; {container} is replaced.",
        HelpName = "\"docker kill {container}\"",
        DefaultValueFactory = _ => "docker kill {container}",
    };

    public Option<string> StartCommand { get; } = new("--start-command")
    {
        Description = "Program and arguments that start it again after --hold (what a restart policy or an operator does).",
        HelpName = "\"docker start {container}\"",
        DefaultValueFactory = _ => "docker start {container}",
    };

    public Option<TimeSpan> Hold { get; } = new("--hold")
    {
        Description = "How long the container stays down before it is started (default 30).",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
        CustomParser = result => Seconds(result, "--hold", 0),
    };

    public Option<TimeSpan> Recover { get; } = new("--recover")
    {
        Description = "How long after the start the service may take to acknowledge a write again (default 120).",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(120),
        CustomParser = result => Seconds(result, "--recover", 1),
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the report as JSON instead of a table." };

    public Option<bool> Verbose { get; } = new("--verbose") { Description = "Log the kill and the start." };

    public Option<bool> NoColor { get; } = new("--no-color") { Description = "No colors (as with the NO_COLOR environment variable)." };

    /// <summary>The options of a parse without errors.</summary>
    public WatchOptions Bind(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var target = new WatchTarget(Service.Bind(result)!, result.GetRequiredValue(Dsn), result.GetRequiredValue(Container),
            HookCommand.Parse(result.GetValue(KillCommand)), HookCommand.Parse(result.GetValue(StartCommand)), result.GetValue(Hold), result.GetValue(Recover));
        return new WatchOptions(target, result.GetValue(Json), result.GetValue(Verbose), result.GetValue(NoColor));
    }

    private static TimeSpan Seconds(ArgumentResult result, string name, double least)
    {
        var text = result.Tokens[0].Value;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= least && seconds <= 3600)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        result.AddError($"{name} is '{text}'; allowed: seconds from {least} to 3600");
        return TimeSpan.Zero;
    }
}
