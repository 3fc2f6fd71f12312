using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using HaStack.HealthProbe.Probing;
using HaStack.HealthProbe.Service;

namespace HaStack.HealthProbe.Cli;

/// <summary>
/// <c>healthprobe check</c> declared for System.CommandLine: every option with its help text and its parser, whose
/// message is the one line a user sees. <see cref="Bind"/> turns a parse without errors into <see cref="CheckArguments"/>.
/// </summary>
internal sealed class CheckCommandLine
{
    // Response files (@file) are off: a value such as a password may start with '@'.
    private static readonly ParserConfiguration s_configuration = new() { ResponseFileTokenReplacer = null };

    private static readonly ProbeThresholds s_defaults = new();

    public CheckCommandLine(Func<CheckArguments, CancellationToken, Task<int>> run)
    {
        var check = new Command("check",
            "One probe cycle against a Patroni cluster: a report with one row per check and an exit code, " +
            $"{CheckCommand.ExitHealthy} healthy, {CheckCommand.ExitDegraded} degraded, {CheckCommand.ExitUnhealthy} unhealthy, " +
            $"{CheckCommand.ExitCouldNotCheck} could not check (or bad arguments).")
        {
            Patroni, ConnectionString, PgBouncer, Etcd, RootCertificate, LagWarning, LagCritical, Timeout, Json, NoColor, new HelpOption(),
        };
        check.SetAction((result, ct) => run(Bind(result), ct));
        Root = new Command("healthprobe") { check };
    }

    public Command Root { get; }

    public Option<IReadOnlyList<Uri>> Patroni { get; } = new("--patroni")
    {
        Description = "Patroni REST API URLs of the cluster's members, comma-separated.",
        HelpName = "url[,url...]",
        Required = true,
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = Urls,
    };

    public Option<string> ConnectionString { get; } = new("--dsn")
    {
        Description = "Npgsql connection string or postgresql:// URI for SQL on the members. With as many hosts as --patroni URLs, " +
                      "host i is member i; otherwise only its credentials are used, with each member's host:port from Patroni.",
        HelpName = "connection string|postgresql://URI",
        CustomParser = ValidDsn,
    };

    public Option<Uri?> PgBouncer { get; } = new("--pgbouncer")
    {
        Description = "URL of PgBouncer's Prometheus exporter (e.g. http://host:9127/metrics), whose pools are read; without it PgBouncer is not checked.",
        HelpName = "exporter metrics URL",
        CustomParser = Url,
    };

    public Option<IReadOnlyList<Uri>> Etcd { get; } = new("--etcd")
    {
        Description = "etcd members' client URLs, comma-separated; without it etcd is not checked.",
        HelpName = "url[,url...]",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = Urls,
    };

    public Option<FileInfo?> RootCertificate { get; } = new("--cacert")
    {
        Description = "PEM root certificate that HTTPS servers (Patroni, etcd) must chain to, e.g. a HaStack stack's own CA (the Root Certificate of its connection strings).",
        HelpName = "file",
        CustomParser = ExistingFile,
    };

    public Option<double> LagWarning { get; } = Seconds("--lag-warning", s_defaults.LagWarning, "Replay lag in seconds that makes the cluster degraded.");

    public Option<double> LagCritical { get; } = Seconds("--lag-critical", s_defaults.LagCritical, "Replay lag in seconds that makes the cluster unhealthy.");

    public Option<double> Timeout { get; } = Seconds("--timeout", TimeSpan.FromSeconds(2), "Seconds each HTTP request and SQL batch may take.");

    public Option<bool> Json { get; } = new("--json") { Description = "Print the report as JSON instead of text." };

    public Option<bool> NoColor { get; } = new("--no-color") { Description = "No colors in the text report (as with the NO_COLOR environment variable)." };

    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(["check", .. args], s_configuration);

    /// <summary>The arguments of a parse without errors.</summary>
    public CheckArguments Bind(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var urls = result.GetRequiredValue(Patroni);
        var (perMember, fallback) = result.GetValue(ConnectionString) is { } dsn
            ? Dsn.Assign(dsn, urls.Count)
            : (Enumerable.Repeat<string?>(null, urls.Count).ToList(), (string?)null);
        var timeout = TimeSpan.FromSeconds(result.GetValue(Timeout));
        var targets = new ProbeTargets
        {
            Members = urls.Select((u, i) => new MemberEndpoint(null, u, perMember[i])).ToList(),
            FallbackConnectionString = fallback,
            PgBouncerMetrics = result.GetValue(PgBouncer),
            Etcd = (result.GetValue(Etcd) ?? []).Select(u => (u.Authority, u)).ToList(),
            RequestTimeout = timeout,
        };
        var thresholds = s_defaults with
        {
            LagWarning = TimeSpan.FromSeconds(result.GetValue(LagWarning)),
            LagCritical = TimeSpan.FromSeconds(result.GetValue(LagCritical)),
        };
        return new CheckArguments(targets, thresholds, timeout, result.GetValue(Json), result.GetValue(NoColor)) { RootCertificate = result.GetValue(RootCertificate)?.FullName };
    }

    private static FileInfo? ExistingFile(ArgumentResult result)
    {
        var file = new FileInfo(result.Tokens[0].Value);
        if (!file.Exists)
        {
            result.AddError($"{OptionName(result)}: '{result.Tokens[0].Value}' is not a file");
        }

        return file;
    }

    private static string OptionName(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;

    /// <summary>One http(s) URL, taken as given (no slash appended: it names a page, not a base).</summary>
    private static Uri? Url(ArgumentResult result)
    {
        var text = result.Tokens[0].Value.Trim();
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            return uri;
        }

        result.AddError($"{OptionName(result)}: '{text}' is not an http(s) URL");
        return null;
    }

    private static IReadOnlyList<Uri> Urls(ArgumentResult result)
    {
        var urls = new List<Uri>();
        foreach (var url in result.Tokens[0].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                result.AddError($"{OptionName(result)}: '{url}' is not an http(s) URL");
                return [];
            }

            urls.Add(ProbeSettings.Slash(url));
        }

        if (urls.Count == 0)
        {
            result.AddError($"{OptionName(result)}: no URL given");
        }

        return urls;
    }

    private static string ValidDsn(ArgumentResult result)
    {
        var dsn = result.Tokens[0].Value;
        try
        {
            _ = Dsn.Parse(dsn);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
        {
            // The message of a connection string parser may quote the string: never echo a password.
            result.AddError("--dsn is not a valid connection string or postgresql:// URI");
        }

        return dsn;
    }

    private static Option<double> Seconds(string name, TimeSpan fallback, string description) => new(name)
    {
        Description = description,
        HelpName = "s",
        DefaultValueFactory = _ => fallback.TotalSeconds,
        CustomParser = result =>
        {
            var raw = result.Tokens[0].Value;
            if (double.TryParse(raw.TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && double.IsFinite(s) && s > 0 &&
                s < TimeSpan.MaxValue.TotalSeconds)
            {
                return s;
            }

            result.AddError($"{name}: '{raw}' is not a positive number of seconds");
            return 0;
        },
    };
}
