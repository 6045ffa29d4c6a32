using Fersnet.Build;

// Usage: Fersnet.Build <library.so> [--forbid-under <folder>]...
// Weakens the libstdc++ version requirements of <library.so> that this system's libstdc++ cannot meet.
// Exit codes: 0 done or nothing to do, 1 refused or failed, 2 usage.
if (args.Length < 1 || args[0].StartsWith('-'))
{
    Console.Error.WriteLine("usage: Fersnet.Build <library.so> [--forbid-under <folder>]...");
    return 2;
}
string path = Path.GetFullPath(args[0]);
var forbidden = new List<string>();
for (int i = 1; i + 1 < args.Length; i += 2)
    if (args[i] == "--forbid-under" && !string.IsNullOrWhiteSpace(args[i + 1]))
        forbidden.Add(Path.GetFullPath(args[i + 1]));

if (!OperatingSystem.IsLinux()) return 0;
if (!File.Exists(path)) { Console.Error.WriteLine($"fersnet-native-patch: {path}: no such file"); return 1; }
if (forbidden.Any(f => path.StartsWith(f.TrimEnd('/') + "/", StringComparison.Ordinal)))
{
    Console.Error.WriteLine($"fersnet-native-patch: {path} is inside a package cache; only build outputs are patched");
    return 1;
}
string? system = GlibcxxCompat.FindSystemLibStdCxx();
if (system is null)
{
    Console.WriteLine($"fersnet-native-patch: no system {GlibcxxCompat.LibStdCxx} found; {Path.GetFileName(path)} left as it is");
    return 0;
}
try
{
    var report = GlibcxxCompat.PatchFile(path, ElfImage.Load(system).VersionDefinitions());
    if (report.Outcome == PatchOutcome.Patched)
        Console.WriteLine($"fersnet-native-patch: {Path.GetFileName(path)}: {report.Outcome}: weak {string.Join(", ", report.WeakenedVersions)} " +
                          $"(symbols: {string.Join(", ", report.Symbols)}; system {system})");
    return 0;
}
catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IOException)
{
    Console.Error.WriteLine($"fersnet-native-patch: {path}: {e.Message}");
    return 1;
}
