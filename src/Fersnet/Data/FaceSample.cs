namespace Fersnet.Data;

/// <summary>Where a dataset's images come from, as found on disk.</summary>
public enum DatasetLayout
{
    /// <summary><c>&lt;class&gt;/*.png</c>, optionally under split folders (<c>train/&lt;class&gt;/…</c>).</summary>
    ClassFolders,
    /// <summary>CK+: <c>&lt;class&gt;/Sxxx_sss_ffffffff.png</c> (subject, sequence, frame).</summary>
    CkPlus,
    /// <summary>FER2013 as image folders: <c>train/&lt;class&gt;/Training_&lt;id&gt;.jpg</c>, <c>test/&lt;class&gt;/{PublicTest,PrivateTest}_&lt;id&gt;.jpg</c>.</summary>
    Fer2013Folders,
    /// <summary>The original <c>fer2013.csv</c>: <c>emotion,pixels,Usage</c>.</summary>
    Fer2013Csv,
    /// <summary>JAFFE: <c>KA.AN1.39.tiff</c> (subject, expression and index, image number).</summary>
    Jaffe,
}

/// <summary>
/// One labelled face of a dataset. <paramref name="Source"/> is a file path, or for CSV datasets
/// <c>file.csv:line</c>; <paramref name="Pixels"/> then holds the 8-bit grayscale image inline.
/// </summary>
public sealed record FaceSample(
    string Source,
    Expression Label,
    string? Subject = null,
    string? Sequence = null,
    string? Split = null,
    byte[]? Pixels = null,
    int PixelWidth = 0);

/// <summary>A file the reader could not use, and why.</summary>
public sealed record SkippedFile(string Path, string Reason);

/// <summary>What a reader found in a dataset.</summary>
public sealed record DatasetScan(string Root, DatasetLayout Layout, IReadOnlyList<FaceSample> Samples, IReadOnlyList<SkippedFile> Skipped)
{
    public LabelSet Labels => LabelSet.From(Samples);

    public int SubjectCount => Samples.Where(s => s.Subject is not null).Select(s => s.Subject).Distinct().Count();

    /// <summary>The splits present, FER2013's in its own order (Training, PublicTest, PrivateTest), others by name.</summary>
    public IReadOnlyList<string> Splits => Samples.Select(s => s.Split ?? "").Distinct()
        .OrderBy(s => Array.IndexOf(KnownSplitOrder, s) is var i && i < 0 ? int.MaxValue : i).ThenBy(s => s, StringComparer.Ordinal).ToArray();

    private static readonly string[] KnownSplitOrder = ["Training", "train", "PublicTest", "val", "validation", "PrivateTest", "test"];
}
