using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Fersnet.Serialization;

namespace Fersnet.Lab.Experiments;

/// <summary>
/// An experiment's JSON-lines results file, shared by every process that runs one of its (variant, fold) jobs (a
/// Slurm array writes one file from many nodes). A line is appended under an exclusive lock (.NET's
/// <see cref="FileShare.None"/>, an advisory <c>flock</c> on Linux, which NFS v4 honours across machines), in one
/// write, after checking inside the lock that the (variant, fold) of that configuration is not there yet; readers take
/// the shared lock, so they never see half a line. A line repeated anyway (a file merged by hand) is read once: the
/// first stays.
/// </summary>
public static class ResultsFile
{
    /// <summary>How long a reader or writer waits for another process's lock before giving up (a writer holds it for
    /// milliseconds: a long wait means a stuck process or a file system without locks).</summary>
    public static TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Appends <paramref name="result"/> unless the file already holds its (variant, fold, fingerprint).</summary>
    /// <returns>false: another job had already recorded it, and the file is unchanged.</returns>
    public static bool Append(string path, FoldResult result)
    {
        using var stream = OpenLocked(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        if (Keys(stream).Contains(new JobKey(result.Variant, result.Fold, result.Fingerprint))) return false;
        var line = new List<byte>();
        if (stream.Length > 0)
        {
            stream.Seek(-1, SeekOrigin.End);
            if (stream.ReadByte() != '\n') line.Add((byte)'\n');   // a line cut short by a crash: start on a new one
        }
        line.AddRange(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(result, FersnetJson.Options) + "\n"));
        stream.Seek(0, SeekOrigin.End);
        stream.Write(line.ToArray());
        stream.Flush(flushToDisk: true);
        return true;
    }

    /// <summary>Every result line of the file (none when it does not exist), whatever its configuration, with its line
    /// number; a repeated (variant, fold, fingerprint) is read once, at its first line, and reported to <paramref name="repeated"/>.</summary>
    /// <exception cref="InvalidDataException">A line is not a result (path and line number in the message).</exception>
    public static IReadOnlyList<(FoldResult Result, int Line)> Read(string path, Action<string>? repeated = null)
    {
        if (!File.Exists(path)) return [];
        using var stream = OpenLocked(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var kept = new List<(FoldResult Result, int Line)>();
        foreach (var (result, line) in Parse(stream, path))
        {
            var first = kept.FirstOrDefault(k => SameJob(k.Result, result));
            if (first.Result is null) kept.Add((result, line));
            else repeated?.Invoke($"{path}:{line}: fold {result.Fold + 1} of '{result.Variant}' repeats line {first.Line}; the first is kept");
        }
        return kept;
    }

    /// <summary>What tells two jobs apart; read alone, a line's arrays are skipped rather than built.</summary>
    private sealed record JobKey(string Variant, int Fold, string Fingerprint);

    /// <summary>The jobs on file; an unreadable line is no job's (readers report it, with its line number).</summary>
    private static HashSet<JobKey> Keys(FileStream stream)
    {
        stream.Seek(0, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        var keys = new HashSet<JobKey>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Trim().Length == 0) continue;
            try { if (JsonSerializer.Deserialize<JobKey>(line, FersnetJson.Options) is { } key) keys.Add(key); }
            catch (JsonException) { }
        }
        return keys;
    }

    private static bool SameJob(FoldResult a, FoldResult b) => a.Variant == b.Variant && a.Fold == b.Fold && a.Fingerprint == b.Fingerprint;

    private static List<(FoldResult Result, int Line)> Parse(FileStream stream, string path)
    {
        stream.Seek(0, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        var results = new List<(FoldResult, int)>();
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Trim().Length == 0) continue;
            FoldResult? result;
            try { result = JsonSerializer.Deserialize<FoldResult>(line, FersnetJson.Options); }
            catch (JsonException e) { throw new InvalidDataException($"{path}:{lineNumber}: unreadable result line ({e.Message})"); }
            if (result is not null) results.Add((result, lineNumber));
        }
        return results;
    }

    /// <summary>Opens the file with the lock <paramref name="share"/> asks for, retrying with back-off while another
    /// process holds a conflicting one. Unbuffered: a write is one system call.</summary>
    private static FileStream OpenLocked(string path, FileMode mode, FileAccess access, FileShare share)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            try { return new FileStream(path, mode, access, share, bufferSize: 0); }
            catch (IOException e) when (IsLockConflict(e))
            {
                if (clock.Elapsed >= LockTimeout)
                    throw new IOException($"{path}: still locked by another process after {LockTimeout.TotalSeconds:F0}s", e);
                Thread.Sleep(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 5)));
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(50).Ticks));
            }
        }
    }

    /// <summary>The lock is held elsewhere: EWOULDBLOCK from flock on Unix, a sharing or lock violation on Windows.</summary>
    internal static bool IsLockConflict(IOException e) =>
        e.GetType() == typeof(IOException) && (e.HResult is 11 or 35 || (e.HResult & 0xFFFF) is 32 or 33);
}

/// <summary>
/// An exclusive claim on one training folder for as long as a job uses it: a fine-tuned variant's job trains (or
/// reuses) its first stage in the same folder as that variant's own job, and the two may run at once on a cluster.
/// The claim is a lock file beside the folder; the holder that deletes the folder deletes it too, and a waiter that
/// finds its lock file gone takes a fresh one.
/// </summary>
public sealed class RunDirectoryClaim : IDisposable
{
    private readonly FileStream _lock;

    public string LockPath { get; }

    private RunDirectoryClaim(string lockPath, FileStream stream) => (LockPath, _lock) = (lockPath, stream);

    /// <summary>Waits (polling, logging once through <paramref name="waiting"/>) until no other process holds the folder.</summary>
    public static RunDirectoryClaim Acquire(string runDirectory, Action<string>? waiting = null, CancellationToken cancellation = default)
    {
        string lockPath = Path.TrimEndingDirectorySeparator(runDirectory) + ".lock";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(lockPath))!);
        bool told = false;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            FileStream? stream = null;
            try
            {
                stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
                // The holder before us may have deleted the lock file after we opened it: that lock guards nothing.
                if (File.Exists(lockPath)) return new RunDirectoryClaim(lockPath, stream);
                stream.Dispose();
            }
            catch (IOException e) when (ResultsFile.IsLockConflict(e))
            {
                stream?.Dispose();
                if (!told) waiting?.Invoke($"{runDirectory} is in use by another job; waiting for it");
                told = true;
                Thread.Sleep(TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>Deletes the lock file (only after the folder itself is gone), then releases the claim.</summary>
    public void DeleteLockFile()
    {
        try { File.Delete(LockPath); } catch (IOException) { }
    }

    public void Dispose() => _lock.Dispose();
}
