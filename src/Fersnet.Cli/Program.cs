using Fersnet.Cli;
using Fersnet.Runtime;
using Spectre.Console.Cli;

TorchRuntime.Initialize();
var app = new CommandApp();
app.Configure(FersnetCli.Configure);
return await app.RunAsync(args);
