using Fersnet.Runtime;

namespace Fersnet.Tests;

/// <summary>Where the repository and the shared read-only data are, seen from the test binaries.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary><c>../shared/data</c> beside the repository, as CI lays it out.</summary>
    public static string SharedData => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));

    public static string CkPlus => Path.Combine(SharedData, "ckplus48");
    public static string Fer2013 => Path.Combine(SharedData, "fer2013");

    /// <summary><c>../shared/photos</c>: six group photos with reference face boxes (<c>faces.json</c>).</summary>
    public static string Photos => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "photos"));

    static TestPaths() => TorchRuntime.Initialize();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Fersnet.slnx"))) return dir.FullName;
        throw new InvalidOperationException("repository root (Fersnet.slnx) not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary folder deleted at the end of a test.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("fersnet-test-").FullName;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Runs the fersnet command tree in-process on a test console.</summary>
public static class CliRunner
{
    public static Spectre.Console.Cli.Testing.CommandAppResult Run(params string[] args)
    {
        var app = new Spectre.Console.Cli.Testing.CommandAppTester();
        app.Configure(Fersnet.Cli.FersnetCli.Configure);
        return app.Run(args);
    }
}

/// <summary>
/// Pins libtorch to a number of intra-op threads for a test's duration. Bitwise-equal training runs need one: with two
/// threads, libtorch's CPU kernels gave losses differing in the third decimal on a loaded machine (the same tests pass
/// on an idle one and always on one thread). Tests run one at a time (xunit.runner.json), so the process-wide setting
/// is safe.
/// </summary>
public sealed class TorchThreads : IDisposable
{
    private readonly int saved = TorchSharp.torch.get_num_threads();

    public TorchThreads(int count) => TorchSharp.torch.set_num_threads(count);

    public void Dispose() => TorchSharp.torch.set_num_threads(saved);
}
