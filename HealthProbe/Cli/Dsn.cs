using Npgsql;

namespace HaStack.HealthProbe.Cli;

/// <summary>
/// The CLI's <c>--dsn</c>: an Npgsql connection string (<c>Host=a:5432,b:5432;Username=postgres;Password=…</c>) or a
/// libpq URI (<c>postgresql://postgres:…@a:5432,b:5432/postgres</c>). With as many hosts as <c>--patroni</c> URLs,
/// host i is member i (how to reach members through published ports or proxies, as from the host to this stack);
/// otherwise only the credentials are used, with each member's own host:port from Patroni's <c>/cluster</c>.
/// </summary>
public static class Dsn
{
    public static NpgsqlConnectionStringBuilder Parse(string dsn)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dsn);
        var builder = dsn.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || dsn.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            ? FromUri(dsn)
            : new NpgsqlConnectionStringBuilder(dsn);
        if (string.IsNullOrEmpty(builder.Database))
        {
            builder.Database = "postgres";
        }

        return builder;
    }

    /// <summary>Per-member connection strings (host i ↔ URL i), or one fallback without hosts.</summary>
    public static (IReadOnlyList<string?> PerMember, string? Fallback) Assign(string dsn, int members)
    {
        var builder = Parse(dsn);
        var hosts = Hosts(builder);
        if (hosts.Count == members)
        {
            return (hosts.Select(h => (string?)new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Host = h.Host, Port = h.Port }.ConnectionString).ToList(), null);
        }

        return (Enumerable.Repeat<string?>(null, members).ToList(), builder.ConnectionString);
    }

    private static List<(string Host, int Port)> Hosts(NpgsqlConnectionStringBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            return [];
        }

        return builder.Host.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(h =>
        {
            var colon = h.LastIndexOf(':');
            return colon > 0 && !h.EndsWith(']') && int.TryParse(h[(colon + 1)..], out var port)
                ? (h[..colon], port)
                : (h, builder.Port);
        }).ToList();
    }

    private static NpgsqlConnectionStringBuilder FromUri(string uri)
    {
        var rest = uri[(uri.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var query = "";
        if (rest.IndexOf('?') is var q and >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        var database = "";
        if (rest.IndexOf('/') is var slash and >= 0)
        {
            database = Uri.UnescapeDataString(rest[(slash + 1)..]);
            rest = rest[..slash];
        }

        var builder = new NpgsqlConnectionStringBuilder();
        if (rest.LastIndexOf('@') is var at and >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            builder.Username = Uri.UnescapeDataString(colon >= 0 ? userInfo[..colon] : userInfo);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            }
        }

        builder.Host = rest;
        builder.Database = database;
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = pair.IndexOf('=') is var eq and > 0
                ? (pair[..eq], Uri.UnescapeDataString(pair[(eq + 1)..]))
                : (pair, "");
            switch (key)
            {
                case "sslmode":
                    builder.SslMode = Enum.Parse<SslMode>(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true);
                    break;
                case "connect_timeout":
                    builder.Timeout = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "user":
                    builder.Username = value;
                    break;
                case "password":
                    builder.Password = value;
                    break;
                case "dbname":
                    builder.Database = value;
                    break;
                default:
                    throw new ArgumentException($"unsupported URI parameter '{key}'");
            }
        }

        return builder;
    }
}
