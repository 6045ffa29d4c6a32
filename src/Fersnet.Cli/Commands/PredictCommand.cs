using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Fersnet.Imaging;
using Fersnet.Inference;
using Fersnet.Runtime;
using Fersnet.Training;
using OpenCvSharp;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Fersnet.Cli.Commands;

/// <summary><c>fersnet predict &lt;image|folder|glob&gt;...</c>: the faces in photos and their expressions.</summary>
public sealed class PredictCommand(IAnsiConsole console) : Command<PredictCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<inputs>")]
        [Description("Image files, folders (their image files, recursively) or globs such as 'photos/*.jpg' (quote them).")]
        public string[] Inputs { get; init; } = [];

        [CommandOption("--format <FORMAT>")]
        [Description("table (default: one line per face), json (an array, one record per face) or csv (one row per face, every expression's probability).")]
        public string Format { get; init; } = "table";

        [CommandOption("--annotate <DIR>")]
        [Description("Also write a copy of each photo with boxes and labels drawn into this folder (PNG).")]
        public string? Annotate { get; init; }

        [CommandOption("--detector <KIND>")]
        [Description("blazeface (default: a DNN that finds small and turned faces), haar (OpenCV's frontal cascade) or none (each image is one already-cropped face).")]
        public string Detector { get; init; } = "blazeface";

        [CommandOption("--checkpoint <FILE>")]
        [Description("A checkpoint written by fersnet train (default: the bundled FER2013 model).")]
        public string? Checkpoint { get; init; }

        [CommandOption("--top <K>")]
        [Description("How many expressions to show per face, most probable first (table and json; default 3; csv always has all).")]
        public int Top { get; init; } = 3;

        [CommandOption("--device <DEVICE>")]
        [Description("Where the expression network runs: cpu (default), cuda or cuda:N.")]
        public string Device { get; init; } = "cpu";

        [CommandOption("--no-mirror")]
        [Description("Read each face once, not also its mirror image (by default the two readings are averaged: more accurate, twice the network's compute).")]
        public bool NoMirror { get; init; }

        [CommandOption("--shift <PIXELS>")]
        [Description("Also read each face moved this many pixels left, right, up and down, and average (five times the network's compute; default 0: not). Measured gains: docs/RESULTS.md.")]
        public int Shift { get; init; }

        [CommandOption("--max-pixels <N>")]
        [Description("Refuse images with more pixels than this, from their header, before decoding (default 50,000,000).")]
        public long? MaxPixels { get; init; }

        public override ValidationResult Validate() =>
            Inputs.Length == 0 ? ValidationResult.Error("give at least one image, folder or glob")
            : Format is not ("table" or "json" or "csv") ? ValidationResult.Error($"--format must be table, json or csv, not '{Format}'")
            : ParseDetector(Detector) is null ? ValidationResult.Error($"--detector must be blazeface, haar or none, not '{Detector}'")
            : Top < 1 ? ValidationResult.Error("--top must be at least 1")
            : MaxPixels is < 1 ? ValidationResult.Error("--max-pixels must be positive")
            : Shift < 0 ? ValidationResult.Error("--shift must be 0 or more pixels")
            : ValidationResult.Success();
    }

    internal static DetectorKind? ParseDetector(string text) => text.ToLowerInvariant() switch
    {
        "blazeface" => DetectorKind.BlazeFace,
        "haar" => DetectorKind.Haar,
        "none" => DetectorKind.None,
        _ => null,
    };

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // A long-running command of its own process: cap glibc's large-block threshold so memory stays bounded over a folder.
        Fersnet.Runtime.NativeMemory.BoundForInference();
        ExpressionRecognizer recognizer;
        try
        {
            var options = new RecognizerOptions
            {
                Detector = ParseDetector(settings.Detector)!.Value, Device = ComputeDevice.Parse(settings.Device), Mirror = !settings.NoMirror, Shift = settings.Shift,
            };
            if (settings.MaxPixels is { } maxPixels) options = options with { MaxPixels = maxPixels };
            recognizer = ExpressionRecognizer.Load(settings.Checkpoint, options);
        }
        catch (Exception e) when (e is CheckpointException or FileNotFoundException or ArgumentException or DeviceUnavailableException)
        {
            console.Profile.Out.Writer.WriteLine($"error: {e.Message}");
            return 1;
        }
        using (recognizer)
        {
            if (settings.Annotate is not null) Directory.CreateDirectory(settings.Annotate);
            var output = console.Profile.Out.Writer;
            var writer = Writer.For(settings.Format, output, recognizer.Expressions, settings.Top);
            int files = 0, failed = 0, faces = 0, noFace = 0;
            var annotatedNames = new HashSet<string>(StringComparer.Ordinal);
            writer.Begin();
            foreach (var result in recognizer.RecognizeFiles(ImageFiles.Expand(settings.Inputs), cancellationToken))
            {
                files++;
                if (!result.Succeeded)
                {
                    failed++;
                    // In json and csv, errors go to stderr so that the output stays parseable.
                    (settings.Format == "table" ? output : Console.Error).WriteLine($"error: {result.Source}: {result.Error}");
                    continue;
                }
                if (result.Faces.Count == 0) { noFace++; writer.NoFace(result.Source); }
                for (int i = 0; i < result.Faces.Count; i++) writer.Face(result.Source, i + 1, result.Faces[i]);
                faces += result.Faces.Count;
                if (settings.Annotate is not null) WriteAnnotated(recognizer, result, settings.Annotate, annotatedNames);
            }
            writer.End();
            string summary = $"{files - failed} of {files} files read, {faces} faces, {noFace} without a face, {failed} failed";
            (settings.Format == "table" ? output : Console.Error).WriteLine(summary);
            output.Flush();
            return failed > 0 ? 1 : 0;
        }
    }

    private static void WriteAnnotated(ExpressionRecognizer recognizer, PhotoResult result, string folder, HashSet<string> used)
    {
        string name = Path.GetFileNameWithoutExtension(result.Source);
        string file = name + ".png";
        for (int n = 2; !used.Add(file); n++) file = $"{name}-{n}.png";
        using var photo = recognizer.ReadImage(result.Source);
        using var drawn = FaceAnnotator.Draw(photo, result.Faces);
        Cv2.ImWrite(Path.Combine(folder, file), drawn);
    }

    /// <summary>Writes face records as they come (nothing is held back), in one of the three formats.</summary>
    /// <remarks>Lines go to the console's raw writer: never wrapped at the terminal's width, so a redirected output parses.</remarks>
    private abstract class Writer(TextWriter output)
    {
        protected TextWriter Output { get; } = output;

        public static Writer For(string format, TextWriter output, IReadOnlyList<string> expressions, int top) => format switch
        {
            "json" => new JsonWriter(output, top),
            "csv" => new CsvWriter(output, expressions),
            _ => new TableWriter(output, top),
        };

        public virtual void Begin() { }
        public abstract void Face(string file, int index, FaceExpression face);
        public virtual void NoFace(string file) { }
        public virtual void End() { }

        protected static IEnumerable<KeyValuePair<string, double>> Top(FaceExpression face, int k) =>
            face.Probabilities.OrderByDescending(p => p.Value).Take(k);
    }

    private sealed class TableWriter(TextWriter output, int top) : Writer(output)
    {
        public override void Face(string file, int index, FaceExpression face)
        {
            var b = face.Box;
            string probabilities = string.Join("  ", Top(face, top).Select(p => $"{p.Key} {p.Value:0.00}"));
            Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{file}  face {index}  box {b.X},{b.Y} {b.Width}x{b.Height}  score {face.DetectionScore:0.00}  {probabilities}"));
        }

        public override void NoFace(string file) => Output.WriteLine($"{file}  no face found");
    }

    private sealed class JsonWriter(TextWriter output, int top) : Writer(output)
    {
        private bool _first = true;

        public override void Begin() => Output.WriteLine("[");

        public override void Face(string file, int index, FaceExpression face)
        {
            string record = JsonSerializer.Serialize(FaceRecord.From(file, index, face, top));
            Output.Write((_first ? "  " : ",\n  ") + record);
            _first = false;
        }

        public override void End() => Output.Write((_first ? "" : "\n") + "]\n");
    }

    private sealed class CsvWriter(TextWriter output, IReadOnlyList<string> expressions) : Writer(output)
    {
        public override void Begin() => Output.WriteLine("file,face,x,y,width,height,detection_score,dominant," + string.Join(',', expressions));

        public override void Face(string file, int index, FaceExpression face)
        {
            var b = face.Box;
            string quoted = file.IndexOfAny([',', '"', '\n']) >= 0 ? $"\"{file.Replace("\"", "\"\"")}\"" : file;
            Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{quoted},{index},{b.X},{b.Y},{b.Width},{b.Height},{face.DetectionScore:0.####},{face.Dominant},") +
                string.Join(',', expressions.Select(e => face.Probabilities[e].ToString("0.####", CultureInfo.InvariantCulture))));
        }
    }
}
