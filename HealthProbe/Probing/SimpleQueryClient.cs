using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace HaStack.HealthProbe.Probing;

/// <summary>
/// A minimal PostgreSQL wire-protocol client for the simple query protocol only, which is all PgBouncer's admin console
/// understands (Npgsql always speaks the extended protocol). Supports SCRAM-SHA-256, MD5 and cleartext logins, no TLS.
/// One instance is one connection; not thread-safe.
/// </summary>
public sealed class SimpleQueryClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private SimpleQueryClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<SimpleQueryClient> ConnectAsync(string host, int port, string user, string? password, string database, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, ct).ConfigureAwait(false);
            var client = new SimpleQueryClient(tcp);
            await client.StartupAsync(user, password ?? "", database, ct).ConfigureAwait(false);
            return client;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Runs one statement; returns its rows as column name → text value (null for SQL NULL).</summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, string?>>> QueryAsync(string sql, CancellationToken ct)
    {
        await SendAsync('Q', CString(sql), ct).ConfigureAwait(false);
        var columns = Array.Empty<string>();
        var rows = new List<IReadOnlyDictionary<string, string?>>();
        string? error = null;
        while (true)
        {
            var (type, body) = await ReceiveAsync(ct).ConfigureAwait(false);
            switch (type)
            {
                case 'T':
                    columns = ReadRowDescription(body);
                    break;
                case 'D':
                    rows.Add(ReadDataRow(body, columns));
                    break;
                case 'E':
                    error = ReadError(body);
                    break;
                case 'Z':
                    return error is null ? rows : throw new SimpleQueryException(error);
                default:
                    // CommandComplete, NoticeResponse, ParameterStatus: nothing to keep.
                    break;
            }
        }
    }

    private async Task StartupAsync(string user, string password, string database, CancellationToken ct)
    {
        var parameters = CString("user").Concat(CString(user)).Concat(CString("database")).Concat(CString(database))
            .Concat(CString("application_name")).Concat(CString("hastack-healthprobe")).Append((byte)0).ToArray();
        var startup = new byte[8 + parameters.Length];
        BinaryPrimitives.WriteInt32BigEndian(startup, startup.Length);
        BinaryPrimitives.WriteInt32BigEndian(startup.AsSpan(4), 196608); // protocol 3.0
        parameters.CopyTo(startup, 8);
        await _stream.WriteAsync(startup, ct).ConfigureAwait(false);

        string? clientNonce = null, clientFirstBare = null;
        byte[]? serverSignature = null;
        while (true)
        {
            var (type, body) = await ReceiveAsync(ct).ConfigureAwait(false);
            if (type == 'E')
            {
                throw new SimpleQueryException(ReadError(body));
            }

            if (type == 'Z')
            {
                return;
            }

            if (type != 'R')
            {
                continue;
            }

            var code = BinaryPrimitives.ReadInt32BigEndian(body);
            switch (code)
            {
                case 0: // AuthenticationOk
                    break;
                case 3: // cleartext
                    await SendAsync('p', CString(password), ct).ConfigureAwait(false);
                    break;
                case 5: // MD5: "md5" + md5(md5(password + user) + salt)
                    var inner = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(password + user)));
                    var outer = Convert.ToHexStringLower(MD5.HashData([.. Encoding.ASCII.GetBytes(inner), .. body.AsSpan(4, 4)]));
                    await SendAsync('p', CString("md5" + outer), ct).ConfigureAwait(false);
                    break;
                case 10: // SASL: mechanisms offered
                    clientNonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
                    clientFirstBare = "n=,r=" + clientNonce;
                    var first = Encoding.UTF8.GetBytes("n,," + clientFirstBare);
                    var message = new List<byte>(CString("SCRAM-SHA-256"));
                    var length = new byte[4];
                    BinaryPrimitives.WriteInt32BigEndian(length, first.Length);
                    message.AddRange(length);
                    message.AddRange(first);
                    await SendAsync('p', [.. message], ct).ConfigureAwait(false);
                    break;
                case 11: // SASL continue: server-first-message
                    var serverFirst = Encoding.UTF8.GetString(body.AsSpan(4));
                    var fields = serverFirst.Split(',').Where(f => f.Length > 2).ToDictionary(f => f[0], f => f[2..]);
                    if (clientNonce is null || !fields.TryGetValue('r', out var nonce) || !nonce.StartsWith(clientNonce, StringComparison.Ordinal))
                    {
                        throw new SimpleQueryException("SCRAM: the server's nonce does not extend ours");
                    }

                    var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(fields['s']),
                        int.Parse(fields['i'], System.Globalization.CultureInfo.InvariantCulture), HashAlgorithmName.SHA256, 32);
                    var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
                    var storedKey = SHA256.HashData(clientKey);
                    var withoutProof = "c=biws,r=" + nonce;
                    var authMessage = Encoding.UTF8.GetBytes($"{clientFirstBare},{serverFirst},{withoutProof}");
                    var signature = HMACSHA256.HashData(storedKey, authMessage);
                    var proof = clientKey.Select((b, i) => (byte)(b ^ signature[i])).ToArray();
                    serverSignature = HMACSHA256.HashData(HMACSHA256.HashData(salted, "Server Key"u8), authMessage);
                    await SendAsync('p', Encoding.UTF8.GetBytes($"{withoutProof},p={Convert.ToBase64String(proof)}"), ct).ConfigureAwait(false);
                    break;
                case 12: // SASL final: verify the server knows the password too
                    var verifier = Encoding.UTF8.GetString(body.AsSpan(4));
                    if (serverSignature is null || verifier != "v=" + Convert.ToBase64String(serverSignature))
                    {
                        throw new SimpleQueryException("SCRAM: the server's signature is wrong");
                    }

                    break;
                default:
                    throw new SimpleQueryException($"unsupported authentication request {code}");
            }
        }
    }

    private async Task SendAsync(char type, byte[] body, CancellationToken ct)
    {
        var message = new byte[5 + body.Length];
        message[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), body.Length + 4);
        body.CopyTo(message, 5);
        await _stream.WriteAsync(message, ct).ConfigureAwait(false);
    }

    private async Task<(char Type, byte[] Body)> ReceiveAsync(CancellationToken ct)
    {
        var header = new byte[5];
        await _stream.ReadExactlyAsync(header, ct).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        if (length < 4 || length > 16 * 1024 * 1024)
        {
            throw new SimpleQueryException($"not a PostgreSQL server (message length {length})");
        }

        var body = new byte[length - 4];
        await _stream.ReadExactlyAsync(body, ct).ConfigureAwait(false);
        return ((char)header[0], body);
    }

    private static string[] ReadRowDescription(byte[] body)
    {
        var count = BinaryPrimitives.ReadInt16BigEndian(body);
        var names = new string[count];
        var offset = 2;
        for (var i = 0; i < count; i++)
        {
            var end = Array.IndexOf(body, (byte)0, offset);
            names[i] = Encoding.UTF8.GetString(body, offset, end - offset);
            offset = end + 1 + 18; // table oid, column, type oid, size, modifier, format
        }

        return names;
    }

    private static Dictionary<string, string?> ReadDataRow(byte[] body, string[] columns)
    {
        var count = BinaryPrimitives.ReadInt16BigEndian(body);
        var row = new Dictionary<string, string?>(count, StringComparer.Ordinal);
        var offset = 2;
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(offset));
            offset += 4;
            row[i < columns.Length ? columns[i] : $"column{i}"] = length < 0 ? null : Encoding.UTF8.GetString(body, offset, length);
            offset += Math.Max(length, 0);
        }

        return row;
    }

    private static string ReadError(byte[] body)
    {
        string? severity = null, message = null;
        for (var offset = 0; offset < body.Length && body[offset] != 0;)
        {
            var field = (char)body[offset];
            var end = Array.IndexOf(body, (byte)0, offset + 1);
            var value = Encoding.UTF8.GetString(body, offset + 1, end - offset - 1);
            if (field == 'S')
            {
                severity = value;
            }
            else if (field == 'M')
            {
                message = value;
            }

            offset = end + 1;
        }

        return $"{severity ?? "ERROR"}: {message ?? "unknown error"}";
    }

    private static byte[] CString(string value) => [.. Encoding.UTF8.GetBytes(value), 0];

    public async ValueTask DisposeAsync()
    {
        try
        {
            await SendAsync('X', [], CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // Already gone: nothing to say goodbye to.
        }

        _tcp.Dispose();
    }
}

public sealed class SimpleQueryException(string message) : Exception(message);
