using System.Globalization;
using System.Text.RegularExpressions;

namespace Fersnet.Data;

/// <summary>
/// Finds the labelled faces of a dataset on disk and detects its layout. Reading here means listing and
/// parsing names; images are decoded later (<see cref="FaceDataLoader"/>), where a bad file is skipped with its reason.
/// </summary>
public static partial class DatasetReader
{
    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm",
    };

    [GeneratedRegex(@"^(?<subject>S\d{3})_(?<sequence>\d{3})_(?<frame>\d{8})$", RegexOptions.IgnoreCase)]
    private static partial Regex CkPlusName();

    [GeneratedRegex(@"^(?<split>Training|PublicTest|PrivateTest)_\d+$")]
    private static partial Regex Fer2013Name();

    [GeneratedRegex(@"^(?<subject>[A-Za-z]{2})\.(?<code>[A-Za-z]{2})\d*\.\d+$")]
    private static partial Regex JaffeName();

    /// <summary>Reads a dataset folder (or a <c>fer2013.csv</c> file), detecting its layout.</summary>
    /// <exception cref="DatasetException">The path is missing, empty or holds no recognisable dataset.</exception>
    public static DatasetScan Read(string path)
    {
        path = Path.GetFullPath(path);
        if (File.Exists(path))
        {
            if (Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase)) return ReadFer2013Csv(path);
            throw new DatasetException(path, "is a file; give a dataset folder or a fer2013.csv file");
        }
        if (!Directory.Exists(path)) throw new DatasetException(path, "does not exist");
        return DetectLayout(path) switch
        {
            DatasetLayout.Fer2013Csv => ReadFer2013Csv(Directory.EnumerateFiles(path, "*.csv").First(IsFer2013Csv)),
            DatasetLayout.Jaffe => ReadJaffe(path),
            DatasetLayout.CkPlus => ReadClassFolders(path, DatasetLayout.CkPlus),
            DatasetLayout.Fer2013Folders => ReadClassFolders(path, DatasetLayout.Fer2013Folders),
            _ => ReadClassFolders(path, DatasetLayout.ClassFolders),
        };
    }

    /// <summary>Decides the layout from the folder's structure and file names.</summary>
    public static DatasetLayout DetectLayout(string dir)
    {
        if (!Directory.EnumerateFileSystemEntries(dir).Any()) throw new DatasetException(dir, "is empty");
        if (Directory.EnumerateFiles(dir, "*.csv").Any(IsFer2013Csv)) return DatasetLayout.Fer2013Csv;

        var topImages = Directory.EnumerateFiles(dir).Where(IsImageFile).Take(50).ToList();
        if (topImages.Count > 0 && topImages.Count(f => JaffeName().IsMatch(Path.GetFileNameWithoutExtension(f))) * 2 > topImages.Count)
            return DatasetLayout.Jaffe;

        var names = ClassFolderImages(dir).Take(200).Select(f => Path.GetFileNameWithoutExtension(f.File)).ToList();
        if (names.Count == 0)
            throw new DatasetException(dir, "has no images in expression-named folders (e.g. happy/, anger/) nor a fer2013.csv or JAFFE files");
        if (names.All(n => CkPlusName().IsMatch(n))) return DatasetLayout.CkPlus;
        if (names.All(n => Fer2013Name().IsMatch(n))) return DatasetLayout.Fer2013Folders;
        return DatasetLayout.ClassFolders;
    }

    private static DatasetScan ReadClassFolders(string root, DatasetLayout layout)
    {
        var samples = new List<FaceSample>();
        var skipped = new List<SkippedFile>();
        foreach (var (file, label, splitFolder) in ClassFolderImages(root))
        {
            if (!IsImageFile(file))
            {
                skipped.Add(new SkippedFile(file, "not an image file (unknown extension)"));
                continue;
            }
            string stem = Path.GetFileNameWithoutExtension(file);
            switch (layout)
            {
                case DatasetLayout.CkPlus when CkPlusName().Match(stem) is { Success: true } m:
                    string subject = m.Groups["subject"].Value.ToUpperInvariant();
                    samples.Add(new FaceSample(file, label, subject, $"{subject}_{m.Groups["sequence"].Value}", splitFolder));
                    break;
                case DatasetLayout.CkPlus:
                    skipped.Add(new SkippedFile(file, "name is not CK+'s Sxxx_sss_ffffffff: subject unknown"));
                    break;
                case DatasetLayout.Fer2013Folders when Fer2013Name().Match(stem) is { Success: true } m:
                    samples.Add(new FaceSample(file, label, Split: m.Groups["split"].Value));
                    break;
                case DatasetLayout.Fer2013Folders:
                    skipped.Add(new SkippedFile(file, "name is not FER2013's {Training,PublicTest,PrivateTest}_<id>: split unknown"));
                    break;
                default:
                    samples.Add(new FaceSample(file, label, Split: splitFolder));
                    break;
            }
        }
        if (samples.Count == 0) throw new DatasetException(root, "holds no usable images");
        return new DatasetScan(root, layout, samples, skipped);
    }

    /// <summary>Images under <c>&lt;class&gt;/</c> or <c>&lt;split&gt;/&lt;class&gt;/</c>, in a stable order.</summary>
    private static IEnumerable<(string File, Expression Label, string? Split)> ClassFolderImages(string root)
    {
        foreach (var dir in SortedDirectories(root))
        {
            string name = Path.GetFileName(dir);
            if (Expressions.TryParse(name, out var label))
            {
                foreach (var file in SortedFiles(dir)) yield return (file, label, null);
                continue;
            }
            foreach (var classDir in SortedDirectories(dir))
                if (Expressions.TryParse(Path.GetFileName(classDir), out var nested))
                    foreach (var file in SortedFiles(classDir)) yield return (file, nested, name);
        }
    }

    private static DatasetScan ReadJaffe(string root)
    {
        var samples = new List<FaceSample>();
        var skipped = new List<SkippedFile>();
        foreach (var file in SortedFiles(root))
        {
            var m = JaffeName().Match(Path.GetFileNameWithoutExtension(file));
            if (!IsImageFile(file)) skipped.Add(new SkippedFile(file, "not an image file (unknown extension)"));
            else if (!m.Success) skipped.Add(new SkippedFile(file, "name is not JAFFE's <subject>.<expression><n>.<id> (e.g. KA.AN1.39.tiff)"));
            else if (!Expressions.TryParse(m.Groups["code"].Value, out var label))
                skipped.Add(new SkippedFile(file, $"unknown JAFFE expression code '{m.Groups["code"].Value}'"));
            else samples.Add(new FaceSample(file, label, m.Groups["subject"].Value.ToUpperInvariant()));
        }
        if (samples.Count == 0) throw new DatasetException(root, "holds no usable JAFFE images");
        return new DatasetScan(root, DatasetLayout.Jaffe, samples, skipped);
    }

    /// <summary>Reads the original <c>fer2013.csv</c> (<c>emotion,pixels,Usage</c>): 48x48 grayscale, space-separated.</summary>
    public static DatasetScan ReadFer2013Csv(string csv)
    {
        var samples = new List<FaceSample>();
        var skipped = new List<SkippedFile>();
        using var reader = new StreamReader(csv);
        string? header = reader.ReadLine();
        var columns = header?.Split(',').Select(c => c.Trim().ToLowerInvariant()).ToList();
        int emotion = columns?.IndexOf("emotion") ?? -1, pixels = columns?.IndexOf("pixels") ?? -1, usage = columns?.IndexOf("usage") ?? -1;
        if (emotion < 0 || pixels < 0) throw new DatasetException(csv, "is not a FER2013 CSV: the header must have 'emotion' and 'pixels' columns");

        int lineNumber = 1;
        for (string? line; (line = reader.ReadLine()) is not null;)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            string source = $"{csv}:{lineNumber}";
            var fields = line.Split(',');
            if (fields.Length <= Math.Max(emotion, pixels))
            {
                skipped.Add(new SkippedFile(source, $"has {fields.Length} fields, expected {columns!.Count}"));
                continue;
            }
            if (!int.TryParse(fields[emotion], NumberStyles.None, CultureInfo.InvariantCulture, out int code) || code >= Expressions.Fer2013Codes.Count)
            {
                skipped.Add(new SkippedFile(source, $"emotion '{fields[emotion]}' is not a FER2013 code 0-6"));
                continue;
            }
            var values = fields[pixels].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int side = (int)Math.Round(Math.Sqrt(values.Length));
            if (values.Length == 0 || side * side != values.Length)
            {
                skipped.Add(new SkippedFile(source, $"has {values.Length} pixels, not a square image"));
                continue;
            }
            var bytes = new byte[values.Length];
            bool ok = true;
            for (int i = 0; i < values.Length && ok; i++)
                ok = byte.TryParse(values[i], NumberStyles.None, CultureInfo.InvariantCulture, out bytes[i]);
            if (!ok)
            {
                skipped.Add(new SkippedFile(source, "a pixel is not an integer 0-255"));
                continue;
            }
            string? split = usage >= 0 && usage < fields.Length ? fields[usage].Trim() : null;
            samples.Add(new FaceSample(source, Expressions.Fer2013Codes[code], Split: split, Pixels: bytes, PixelWidth: side));
        }
        if (samples.Count == 0) throw new DatasetException(csv, "holds no usable rows");
        return new DatasetScan(csv, DatasetLayout.Fer2013Csv, samples, skipped);
    }

    private static bool IsFer2013Csv(string file)
    {
        using var reader = new StreamReader(file);
        string? header = reader.ReadLine();
        return header is not null && header.Contains("emotion", StringComparison.OrdinalIgnoreCase) && header.Contains("pixels", StringComparison.OrdinalIgnoreCase);
    }

    public static bool IsImageFile(string file) => ImageExtensions.Contains(Path.GetExtension(file));

    private static IEnumerable<string> SortedDirectories(string dir) =>
        Directory.EnumerateDirectories(dir).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal);

    private static IEnumerable<string> SortedFiles(string dir) =>
        Directory.EnumerateFiles(dir).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal);
}

/// <summary>A dataset path that cannot be used; the message names the path and the problem.</summary>
public sealed class DatasetException(string path, string problem) : Exception($"{path}: {problem}")
{
    public string Path { get; } = path;
}
