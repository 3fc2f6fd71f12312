using System.Text.RegularExpressions;

namespace HaStack.Hosting;

/// <summary>
/// The service probe's arguments, checked where they are given (the drill checks them again when it starts): an
/// endpoint is a method and a path, names are plain SQL names, the body carries the key.
/// </summary>
internal static partial class ServiceProbeArguments
{
    public static void Check(string write, string read, string table, string keyColumn, string body, string idProperty)
    {
        if (write is null || !WriteEndpoint().IsMatch(write.Trim()))
        {
            throw new ArgumentException($"'{write}' is not a write endpoint: POST or PUT and a path, e.g. \"POST /orders\".", nameof(write));
        }

        if (read is null || !ReadEndpoint().IsMatch(read.Trim()))
        {
            throw new ArgumentException($"'{read}' is not a read endpoint: GET and a path holding {{id}}, e.g. \"GET /orders/{{id}}\".", nameof(read));
        }

        ThrowUnlessPlainName(table, nameof(table));
        ThrowUnlessPlainName(keyColumn, nameof(keyColumn));
        ThrowUnlessPlainName(idProperty, nameof(idProperty));
        if (body is null || !body.Contains("{key}", StringComparison.Ordinal))
        {
            throw new ArgumentException("The body must hold {key}, where each write's key goes, e.g. {\"requestId\":\"{key}\"}.", nameof(body));
        }
    }

    private static void ThrowUnlessPlainName(string value, string argument)
    {
        if (value is null || !PlainName().IsMatch(value))
        {
            throw new ArgumentException($"'{value}' is not a plain name: letters, digits and '_', not starting with a digit.", argument);
        }
    }

    [GeneratedRegex(@"^(POST|PUT) /\S*$")]
    private static partial Regex WriteEndpoint();

    [GeneratedRegex(@"^GET /\S*\{id\}\S*$")]
    private static partial Regex ReadEndpoint();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex PlainName();
}
