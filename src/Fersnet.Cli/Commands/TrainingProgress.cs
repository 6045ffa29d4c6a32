using System.Diagnostics;
using Fersnet.Training;

namespace Fersnet.Cli.Commands;

/// <summary>
/// Training progress as plain lines that read the same at any terminal width and in a log file: at most one every
/// <see cref="Interval"/> and one at each epoch's last batch, each with the time left in the epoch and in the run.
/// </summary>
/// <remarks>The run's time left is the epochs still to go times the mean wall time of the epochs this sitting finished
/// (validation and checkpoints included), or the current epoch's projected time before any has finished.</remarks>
internal sealed class TrainingProgress(TextWriter output, int totalEpochs, Func<TimeSpan>? clock = null)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly Func<TimeSpan> _clock = clock ?? SystemClock();
    private TimeSpan _epochStart;
    private TimeSpan? _lastLine;
    private int _epoch = -1, _finishedEpochs;
    private TimeSpan _finishedTime;

    private static Func<TimeSpan> SystemClock()
    {
        var watch = Stopwatch.StartNew();
        return () => watch.Elapsed;
    }

    public void Batch(BatchProgress p)
    {
        var now = _clock();
        if (p.Epoch != _epoch)
        {
            if (_epoch >= 0) { _finishedEpochs++; _finishedTime += now - _epochStart; }
            (_epoch, _epochStart) = (p.Epoch, now);
        }
        bool last = p.Batch == p.Batches;
        if (!last && _lastLine is { } previous && now - previous < Interval) return;
        _lastLine = now;
        output.WriteLine(Line(p, now));
        output.Flush();
    }

    internal string Line(BatchProgress p, TimeSpan now)
    {
        var inEpoch = now - _epochStart;
        var epochTotal = p.Batch > 0 ? inEpoch * ((double)p.Batches / p.Batch) : TimeSpan.Zero;
        var epochLeft = epochTotal - inEpoch;
        var perEpoch = _finishedEpochs > 0 ? _finishedTime / _finishedEpochs : epochTotal;
        var runLeft = epochLeft + perEpoch * Math.Max(0, totalEpochs - p.Epoch - 1);
        string terms = string.Join(" ", p.Terms.Select(t => $"{t.Key} {t.Value:F3}"));
        return $"epoch {p.Epoch + 1}/{totalEpochs} batch {p.Batch}/{p.Batches} ({100.0 * p.Batch / p.Batches:F0}%) {terms} acc {p.Accuracy * 100:F1}% " +
               $"{p.ImagesPerSecond:F0} img/s, epoch left {Clock(epochLeft)}, run left {Clock(runLeft)}";
    }

    internal static string Clock(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes}:{t.Seconds:D2}";
}
