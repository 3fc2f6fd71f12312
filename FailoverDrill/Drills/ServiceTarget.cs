using System.Text.RegularExpressions;

namespace HaStack.FailoverDrill.Drills;

/// <summary>One HTTP endpoint of the measured service: a method and a path (<c>POST /orders</c>, <c>GET /orders/{id}</c>).</summary>
/// <param name="Method">GET, POST or PUT.</param>
/// <param name="Path">Starts with <c>/</c>; a read path holds <c>{id}</c>.</param>
public sealed record ServiceEndpoint(HttpMethod Method, string Path)
{
    /// <summary>Reads <c>"POST /orders"</c>.</summary>
    /// <exception cref="ArgumentException">Not a method and a path.</exception>
    public static ServiceEndpoint Parse(string value, string argument)
    {
        var parts = (value ?? "").Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || parts[0].ToUpperInvariant() is not ("GET" or "POST" or "PUT") || !parts[1].StartsWith('/') || parts[1].Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"'{value}' is not an endpoint: give a method (GET, POST, PUT) and a path starting with '/', e.g. \"POST /orders\".", argument);
        }

        return new ServiceEndpoint(new HttpMethod(parts[0].ToUpperInvariant()), parts[1]);
    }

    public override string ToString() => $"{Method} {Path}";
}

/// <summary>
/// A service in the same AppHost that a drill measures as its clients would: numbered writes through
/// <see cref="Write"/> (the body is <see cref="Body"/> with <c>{key}</c> replaced by a new GUID, the write's key), each
/// acknowledged write read back through <see cref="Read"/> (<c>{id}</c> is the <see cref="IdProperty"/> of the write's
/// answer). What the service acknowledged is then looked up in the database, not through the service: rows of
/// <see cref="Table"/> whose <see cref="KeyColumn"/> holds the write's key.
/// </summary>
public sealed partial record ServiceTarget(Uri BaseUrl, ServiceEndpoint Write, ServiceEndpoint Read, string Table, string KeyColumn, string Body, string IdProperty = "id")
{
    /// <summary>The path's name in the report, beside <c>pooled</c> and <c>direct</c>.</summary>
    public const string PathName = "service";

    /// <summary>A service target whose every part is checked, the argument named in the error.</summary>
    /// <exception cref="ArgumentException">A part is missing or malformed.</exception>
    public static ServiceTarget Create(Uri baseUrl, string write, string read, string table, string keyColumn, string body, string idProperty = "id")
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (!baseUrl.IsAbsoluteUri || baseUrl.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"'{baseUrl}' is not an http(s) URL.", nameof(baseUrl));
        }

        var writeEndpoint = ServiceEndpoint.Parse(write, nameof(write));
        if (writeEndpoint.Method == HttpMethod.Get)
        {
            throw new ArgumentException($"The write endpoint '{write}' must be POST or PUT.", nameof(write));
        }

        var readEndpoint = ServiceEndpoint.Parse(read, nameof(read));
        if (readEndpoint.Method != HttpMethod.Get || !readEndpoint.Path.Contains("{id}", StringComparison.Ordinal))
        {
            throw new ArgumentException($"The read endpoint '{read}' must be a GET whose path holds {{id}}, e.g. \"GET /orders/{{id}}\".", nameof(read));
        }

        foreach (var (value, name) in new[] { (table, nameof(table)), (keyColumn, nameof(keyColumn)), (idProperty, nameof(idProperty)) })
        {
            if (value is null || !Identifier().IsMatch(value))
            {
                throw new ArgumentException($"'{value}' is not a plain name (letters, digits, '_', not starting with a digit; up to 63).", name);
            }
        }

        if (body is null || !body.Contains("{key}", StringComparison.Ordinal))
        {
            throw new ArgumentException("The write body must hold {key}, where each write's key goes, e.g. {\"requestId\":\"{key}\"}.", nameof(body));
        }

        return new ServiceTarget(new Uri(baseUrl.ToString().TrimEnd('/') + "/"), writeEndpoint, readEndpoint, table, keyColumn, body, idProperty);
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex Identifier();
}
