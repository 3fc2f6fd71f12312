using HaStack.FailoverDrill.Cli;
using HaStack.FailoverDrill.Drills;
using HaStack.FailoverDrill.Service;

// "run …" (and a lone --help) is the command line; anything else hosts the service (the AppHost starts it without arguments).
if ((args.Length > 0 && !args[0].StartsWith('-')) || args is ["--help" or "-h" or "-?"])
{
    Console.OutputEncoding = System.Text.Encoding.UTF8;
    using var cts = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cts.Cancel();
    };
    return await DrillCommandLine.MainAsync(args, Console.Out, Console.Error, cts.Token);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(DrillMetrics.Name);
builder.AddDrillService();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapDrillEndpoints();
await app.RunAsync();
return 0;
