using System.Text.Json;
using Fersnet.Data;
using Fersnet.Imaging;
using OpenCvSharp;

namespace Fersnet.Synthesis;

/// <summary>One image <see cref="SynthesisFiles.Write"/> wrote: a line of manifest.jsonl.</summary>
/// <param name="Image">the written PNG, under the output folder as it was given</param>
/// <param name="Source">the input face, as it was given (a folder's file: the folder as given, joined with its name)</param>
/// <param name="Target">the expression drawn (its name), or <see cref="SynthesisFiles.GridTarget"/> for a face's grid</param>
public sealed record ManifestEntry(string Image, string Source, string Target);

/// <summary>What a synthesis over files wrote and what it could not read.</summary>
public sealed record SynthesisFilesResult(IReadOnlyList<ManifestEntry> Written, IReadOnlyList<SkippedFile> Failed);

/// <summary>
/// <c>fersnet synthesize</c>'s work: re-draws face images with chosen expressions and writes one PNG per (face,
/// target) (<c>&lt;name&gt;_&lt;expression&gt;.png</c>), a grid per face (<c>&lt;name&gt;_grid.png</c>: the pre-processed
/// input, then every target) and <c>manifest.jsonl</c> with one line per written image. A file that cannot be read is
/// reported and skipped; the others are written.
/// </summary>
public static class SynthesisFiles
{
    public const string ManifestName = "manifest.jsonl";

    /// <summary>The manifest's target for a grid image.</summary>
    public const string GridTarget = "grid";

    /// <summary>Extensions taken from an input folder (the formats OpenCV decodes); other files there are ignored.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pnm" };

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>A file as itself; a folder as its image files (not recursive), in name order.</summary>
    /// <exception cref="FileNotFoundException">The path is neither a file nor a folder.</exception>
    public static IReadOnlyList<string> Inputs(string input)
    {
        if (File.Exists(input)) return [input];
        if (!Directory.Exists(input)) throw new FileNotFoundException($"{input}: no such file or folder", input);
        return Directory.EnumerateFiles(input).Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
            .Select(f => Path.Combine(input, Path.GetFileName(f))).Order(StringComparer.Ordinal).ToArray();
    }

    /// <param name="outDirectory">the output folder as given; created when missing</param>
    /// <param name="failed">called once per input that cannot be read (it is skipped)</param>
    public static SynthesisFilesResult Write(ExpressionSynthesizer synthesizer, IReadOnlyList<string> inputs, IReadOnlyList<Expression> targets,
        string outDirectory, Action<SkippedFile>? failed = null, int batchSize = 64)
    {
        if (targets.Count == 0) throw new ArgumentException("no target expression");
        Directory.CreateDirectory(outDirectory);
        var written = new List<ManifestEntry>();
        var failures = new List<SkippedFile>();
        var usedNames = new HashSet<string>(StringComparer.Ordinal);
        using var manifest = new StreamWriter(Path.Combine(outDirectory, ManifestName), append: false);
        // A few faces at a time: each face's targets go through the model together.
        int facesPerBatch = Math.Max(1, batchSize / targets.Count);
        for (int start = 0; start < inputs.Count; start += facesPerBatch)
        {
            var faces = new List<(string Source, Mat Face)>();
            foreach (var source in inputs.Skip(start).Take(facesPerBatch))
            {
                try { faces.Add((source, FaceImage.ReadGray(source))); }
                catch (ImageException e)
                {
                    var skipped = new SkippedFile(source, e.Problem);
                    failures.Add(skipped);
                    failed?.Invoke(skipped);
                }
            }
            try
            {
                if (faces.Count == 0) continue;
                var drawn = synthesizer.Synthesize(
                    faces.SelectMany(f => Enumerable.Repeat(f.Face, targets.Count)).ToArray(),
                    faces.SelectMany(_ => targets).ToArray());
                try
                {
                    for (int f = 0; f < faces.Count; f++)
                    {
                        string name = UniqueName(Path.GetFileNameWithoutExtension(faces[f].Source), usedNames);
                        var row = drawn.Skip(f * targets.Count).Take(targets.Count).ToArray();
                        for (int t = 0; t < targets.Count; t++)
                            Emit(Path.Combine(outDirectory, $"{name}_{targets[t].Name()}.png"), row[t], faces[f].Source, targets[t].Name());
                        using var input = PreprocessedInput(faces[f].Face, synthesizer.ImageSize);
                        using var grid = SynthesisGrid.Row(input, row, targets.Select(t => t.Name()).ToArray());
                        Emit(Path.Combine(outDirectory, $"{name}_grid.png"), grid, faces[f].Source, GridTarget);
                    }
                }
                finally
                {
                    foreach (var image in drawn) image.Dispose();
                }
            }
            finally
            {
                foreach (var (_, face) in faces) face.Dispose();
            }
        }
        return new SynthesisFilesResult(written, failures);

        void Emit(string path, Mat image, string source, string target)
        {
            if (!Cv2.ImWrite(path, image)) throw new IOException($"{path}: could not be written");
            var entry = new ManifestEntry(path, source, target);
            manifest.WriteLine(JsonSerializer.Serialize(entry, Json));
            manifest.Flush();
            written.Add(entry);
        }
    }

    /// <summary>The face as the model saw it (gray, the model's side), for the grid's first column.</summary>
    private static Mat PreprocessedInput(Mat face, int size)
    {
        using var tensor = SyntheticFaces.Preprocess([face], size);
        return FaceImage.FromUnitRange(tensor.data<float>().ToArray(), size);
    }

    private static string UniqueName(string stem, HashSet<string> used)
    {
        string name = stem;
        for (int k = 2; !used.Add(name); k++) name = $"{stem}_{k}";
        return name;
    }
}
