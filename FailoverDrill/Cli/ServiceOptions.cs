using System.CommandLine;
using HaStack.FailoverDrill.Drills;

namespace HaStack.FailoverDrill.Cli;

/// <summary>
/// The <c>--service-</c> options that name a measured service (<see cref="ServiceTarget"/>), shared by <c>run</c> (the
/// service path beside the drill's own) and <c>watch</c> (the service alone, through an outside fault).
/// </summary>
internal sealed class ServiceOptions
{
    public Option<Uri> Url { get; } = new("--service-url")
    {
        Description = "Base URL of the service to measure (the report's \"service\" path); needs the other --service- options.",
        HelpName = "URL",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            {
                return uri;
            }

            result.AddError($"--service-url is '{text}'; expected an http(s) URL");
            return null;
        },
    };

    public Option<string> Write { get; } = new("--service-write") { Description = "The service's write endpoint (default \"POST /orders\").", HelpName = "method path" };

    public Option<string> Read { get; } = new("--service-read") { Description = "The service's read endpoint (default \"GET /orders/{id}\").", HelpName = "method path" };

    public Option<string> Table { get; } = new("--service-table") { Description = "The table the service's writes land in (in the database of --dsn).", HelpName = "name" };

    public Option<string> KeyColumn { get; } = new("--service-key") { Description = "The column holding each write's key.", HelpName = "column" };

    public Option<string> Body { get; } = new("--service-body") { Description = "The JSON body of a write; {key} is replaced by each write's key.", HelpName = "json" };

    public Option<string> IdProperty { get; } = new("--service-id") { Description = "The property of a write's answer that names the new row (default id).", HelpName = "name" };

    /// <summary>Adds the options to <paramref name="command"/>, with a validator that names the option a bad value came from.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in (Option[])[Url, Write, Read, Table, KeyColumn, Body, IdProperty])
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            Uri? url;
            try
            {
                url = result.GetValue(Url);
            }
            catch (InvalidOperationException)
            {
                return; // --service-url's own error says what is wrong with it
            }

            try
            {
                _ = Of(url, o => result.GetValue(o));
            }
            catch (ArgumentException ex)
            {
                result.AddError($"--service-{OptionOf(ex.ParamName)}: {ex.Message.Split(" (Parameter", 2)[0]}");
            }
        });
    }

    /// <summary>The measured service of a parse without errors (null without --service-url).</summary>
    public ServiceTarget? Bind(ParseResult result) => Of(result.GetValue(Url), o => result.GetValue(o));

    /// <exception cref="ArgumentException">An option is missing or malformed (its parameter name says which).</exception>
    private ServiceTarget? Of(Uri? url, Func<Option<string>, string?> value) =>
        url is not null
            ? ServiceTarget.Create(url, value(Write) ?? "POST /orders", value(Read) ?? "GET /orders/{id}", value(Table) ?? "",
                value(KeyColumn) ?? "", value(Body) ?? "", value(IdProperty) ?? "id")
            : null;

    private static string OptionOf(string? parameter) => parameter switch
    {
        "baseUrl" => "url",
        "keyColumn" => "key",
        "idProperty" => "id",
        _ => parameter ?? "url",
    };
}
