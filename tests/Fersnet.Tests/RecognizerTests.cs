using System.Text.Json;
using Fersnet.Data;
using Fersnet.Imaging;
using Fersnet.Inference;
using Fersnet.Models;
using OpenCvSharp;

namespace Fersnet.Tests;

/// <summary>One recognizer (bundled model, BlazeFace) shared by the tests of a class: loading it is the slow part.</summary>
public sealed class RecognizerFixture : IDisposable
{
    public ExpressionRecognizer Recognizer { get; } = ExpressionRecognizer.Load();

    public void Dispose() => Recognizer.Dispose();
}

public class RecognizerTests(RecognizerFixture fixture) : IClassFixture<RecognizerFixture>
{
    private ExpressionRecognizer Recognizer => fixture.Recognizer;

    private static string Photo(int n) => Path.Combine(TestPaths.Photos, $"sample{n}.jpg");

    [Fact]
    public void Annotations_on_a_BGRA_photo_are_opaque_and_the_dominant_expression_is_also_an_enum()
    {
        using var photo = new Mat(120, 160, MatType.CV_8UC4, new Scalar(200, 200, 200, 0));   // fully transparent input
        var face = new FaceExpression(new FaceBox(40, 50, 60, 60), 0.9, new Dictionary<string, double> { ["happiness"] = 0.8, ["neutral"] = 0.2 }, "happiness");
        using var drawn = FaceAnnotator.Draw(photo, [face]);
        Assert.Equal(3, drawn.Channels());
        Assert.Equal(new Vec3b(0, 220, 0), drawn.At<Vec3b>(80, 40));                              // on the box's left edge
        Assert.Equal(Expression.Happiness, face.DominantExpression);
    }

    [Fact]
    public void Finds_the_reference_faces_of_the_shared_photos()
    {
        var score = DetectionEvaluation.Evaluate(Recognizer, Path.Combine(TestPaths.Photos, "faces.json"));
        Assert.Equal(22, score.References);
        Assert.True(score.Found >= 21, $"found {score.Found} of 22");
        Assert.True(score.FalseBoxes <= 2, $"{score.FalseBoxes} false boxes");
    }

    [Fact]
    public void Each_face_has_a_box_inside_the_photo_and_probabilities_under_the_fixed_names()
    {
        var faces = Recognizer.Recognize(Photo(1));
        Assert.Equal(3, faces.Count);
        var known = Enum.GetValues<Expression>().Select(e => e.Name()).ToList();
        Assert.Equal(["neutral", "anger", "disgust", "fear", "happiness", "sadness", "surprise"], Recognizer.Expressions);
        foreach (var face in faces)
        {
            Assert.InRange(face.Box.X, 0, 1920);
            Assert.InRange(face.Box.Y, 0, 1280);
            Assert.InRange(face.Box.Width, 20, 1920);
            Assert.InRange(face.DetectionScore, 0.5, 1.0);
            Assert.Equal(Recognizer.Expressions, face.Probabilities.Keys);
            Assert.All(face.Probabilities.Keys, k => Assert.Contains(k, known));
            Assert.Equal(1.0, face.Probabilities.Values.Sum(), 4);
            Assert.Equal(face.Probabilities.MaxBy(p => p.Value).Key, face.Dominant);
        }
    }

    [Fact]
    public void Path_bytes_stream_and_Mat_give_the_same_answer()
    {
        var fromPath = Recognizer.Recognize(Photo(2));
        var bytes = File.ReadAllBytes(Photo(2));
        var fromBytes = Recognizer.Recognize(bytes, "sample2");
        using var stream = new MemoryStream(bytes);
        var fromStream = Recognizer.Recognize(stream);
        using var mat = Recognizer.ReadImage(Photo(2));
        var fromMat = Recognizer.Recognize(mat);
        foreach (var other in new[] { fromBytes, fromStream, fromMat }) AssertSame(fromPath, other);
    }

    [Fact]
    public void A_batch_gives_what_each_photo_gives_alone()
    {
        using var a = Recognizer.ReadImage(Photo(3));
        using var b = Recognizer.ReadImage(Photo(4));
        using var blank = new Mat(300, 400, MatType.CV_8UC3, Scalar.All(128));
        var batch = Recognizer.Recognize([a, blank, b]);
        Assert.Equal(3, batch.Count);
        Assert.Empty(batch[1]);
        AssertSame(Recognizer.Recognize(a), batch[0]);
        AssertSame(Recognizer.Recognize(b), batch[2]);
    }

    [Fact]
    public void A_photo_without_a_face_gives_an_empty_list()
    {
        using var blank = new Mat(480, 640, MatType.CV_8UC3, new Scalar(30, 160, 90));
        Cv2.Rectangle(blank, new Rect(100, 100, 200, 120), Scalar.White, -1);
        Assert.Empty(Recognizer.Recognize(blank));
    }

    [Fact]
    public void Many_threads_at_once_get_the_same_answers_as_one_thread()
    {
        var photos = Enumerable.Range(1, 6).Select(Photo).ToArray();
        var sequential = photos.Select(p => Recognizer.Recognize(p)).ToArray();
        var concurrent = new IReadOnlyList<FaceExpression>[photos.Length * 4];
        Parallel.For(0, concurrent.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => concurrent[i] = Recognizer.Recognize(photos[i % photos.Length]));
        for (int i = 0; i < concurrent.Length; i++) AssertSame(sequential[i % photos.Length], concurrent[i]);
    }

    [Fact]
    public void Files_stream_in_batches_with_one_result_per_file_in_order()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("broken.jpg"), "not a jpeg");
        var paths = new[] { Photo(5), dir.Combine("broken.jpg"), dir.Combine("missing.png"), Photo(6) };
        using var small = ExpressionRecognizer.Load(options: new RecognizerOptions { BatchSize = 2 });
        var results = small.RecognizeFiles(paths).ToList();
        Assert.Equal(paths, results.Select(r => r.Source));
        Assert.True(results[0].Succeeded);
        Assert.Contains("not a supported image", results[1].Error);
        Assert.Contains("cannot be read", results[2].Error);
        AssertSame(Recognizer.Recognize(Photo(5)), results[0].Faces);
        AssertSame(Recognizer.Recognize(Photo(6)), results[3].Faces);
    }

    [Fact]
    public void Without_a_detector_the_whole_image_is_one_face()
    {
        using var none = ExpressionRecognizer.Load(options: new RecognizerOptions { Detector = DetectorKind.None });
        string crop = Directory.GetFiles(Path.Combine(TestPaths.Fer2013, "test", "happy"), "PrivateTest_*.jpg").Order().First();
        var face = Assert.Single(none.Recognize(crop));
        Assert.Equal(new FaceBox(0, 0, 48, 48), face.Box);
        Assert.Equal(1.0, face.DetectionScore);
    }

    [Fact]
    public void A_face_crop_in_gray_bgr_or_bgra_gives_the_same_answer_without_a_detector()
    {
        using var none = ExpressionRecognizer.Load(options: new RecognizerOptions { Detector = DetectorKind.None });
        string crop = Directory.GetFiles(Path.Combine(TestPaths.Fer2013, "test", "surprise"), "PrivateTest_*.jpg").Order().First();
        using var gray = Cv2.ImRead(crop, ImreadModes.Grayscale);
        using var bgr = new Mat();
        using var bgra = new Mat();
        Cv2.CvtColor(gray, bgr, ColorConversionCodes.GRAY2BGR);
        Cv2.CvtColor(gray, bgra, ColorConversionCodes.GRAY2BGRA);
        var answers = none.Recognize([gray, bgr, bgra]).Select(faces => Assert.Single(faces)).ToList();
        foreach (var answer in answers.Skip(1))
            foreach (var (expression, p) in answers[0].Probabilities)
                Assert.Equal(p, answer.Probabilities[expression], 5);
        // The whole-crop shortcut and the general cut-and-resize path agree: the crop alone, and the crop cut back out
        // of a larger photo that holds it.
        using var photo = new Mat();
        Cv2.CopyMakeBorder(gray, photo, 7, 9, 11, 5, BorderTypes.Reflect);
        var whole = new float[48 * 48];
        var cut = new float[48 * 48];
        FaceCrop.Extract(gray, new Rect(0, 0, 48, 48), 48, whole);
        FaceCrop.Extract(photo, new Rect(11, 7, 48, 48), 48, cut);
        Assert.Equal(cut, whole);
    }

    [Fact]
    public void By_default_a_face_is_read_with_its_mirror_image_and_the_two_readings_are_averaged()
    {
        using var once = ExpressionRecognizer.Load(options: new RecognizerOptions { Detector = DetectorKind.None, Mirror = false });
        using var twice = ExpressionRecognizer.Load(options: new RecognizerOptions { Detector = DetectorKind.None });
        Assert.True(twice.Options.Mirror);
        string crop = Directory.GetFiles(Path.Combine(TestPaths.Fer2013, "test", "fear"), "PrivateTest_*.jpg").Order().First();
        using var face = Cv2.ImRead(crop, ImreadModes.Grayscale);
        using var mirrored = new Mat();
        Cv2.Flip(face, mirrored, FlipMode.Y);
        var readings = once.Recognize([face, mirrored]).Select(f => Assert.Single(f).Probabilities).ToArray();
        var averaged = Assert.Single(twice.Recognize(face)).Probabilities;
        Assert.NotEqual(readings[0]["fear"], readings[1]["fear"], 4);          // the mirror image reads differently...
        foreach (var (expression, p) in averaged)                                // ...and the default averages the two
            Assert.Equal((readings[0][expression] + readings[1][expression]) / 2, p, 5);

        // Shifted views on request: the face moved 2 px each way, read alone, averaged with the face (5 views).
        using var shifted = ExpressionRecognizer.Load(options: new RecognizerOptions { Detector = DetectorKind.None, Mirror = false, Shift = 2 });
        Assert.Equal(new TestTimeViews(false, 2), shifted.Options.Views);
        var moved = new[] { (0, 2), (4, 2), (2, 0), (2, 4) }.Select(o =>
        {
            using var padded = new Mat();
            Cv2.CopyMakeBorder(face, padded, 2, 2, 2, 2, BorderTypes.Replicate);
            return padded[new Rect(o.Item1, o.Item2, 48, 48)].Clone();
        }).ToArray();
        var movedReadings = once.Recognize([face, .. moved]).Select(f => Assert.Single(f).Probabilities).ToArray();
        foreach (var (expression, p) in Assert.Single(shifted.Recognize(face)).Probabilities)
            Assert.Equal(movedReadings.Average(r => r[expression]), p, 4);
        foreach (var m in moved) m.Dispose();
        Assert.Throws<ArgumentOutOfRangeException>(() => ExpressionRecognizer.Load(options: new RecognizerOptions { Shift = -1 }));
    }

    [Fact]
    public void The_Haar_detector_finds_frontal_faces()
    {
        using var haar = ExpressionRecognizer.Load(options: new RecognizerOptions { Detector = DetectorKind.Haar });
        var score = DetectionEvaluation.Evaluate(haar, Path.Combine(TestPaths.Photos, "faces.json"));
        Assert.InRange(score.Found, 8, 22);
    }

    [Fact]
    public void Crops_square_and_enlarge_the_box_and_repeat_edges_outside_the_photo()
    {
        var square = FaceCrop.Square(new Rect2f(10, 20, 100, 80), 1.1);
        Assert.Equal(new Rect(5, 5, 110, 110), square);
        using var gray = new Mat(50, 50, MatType.CV_8UC1, Scalar.All(255));
        var values = new float[16 * 16];
        FaceCrop.Extract(gray, new Rect(-20, -20, 60, 60), 16, values);
        Assert.All(values, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void A_missing_checkpoint_is_a_clear_error()
    {
        var e = Assert.Throws<Training.CheckpointException>(() => ExpressionRecognizer.Load("/nonexistent/model.ckpt"));
        Assert.Contains("/nonexistent/model.ckpt", e.Message);
    }

    internal static void AssertSame(IReadOnlyList<FaceExpression> expected, IReadOnlyList<FaceExpression> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Box, actual[i].Box);
            Assert.Equal(expected[i].Dominant, actual[i].Dominant);
            foreach (var (name, p) in expected[i].Probabilities) Assert.Equal(p, actual[i].Probabilities[name], 4);
        }
    }
}

public class PredictCommandTests
{
    private static string Photos => TestPaths.Photos;

    [Fact]
    public void Predict_a_photo_prints_one_line_per_face_with_the_bundled_model()
    {
        var result = CliRunner.Run("predict", Path.Combine(Photos, "sample1.jpg"));
        Assert.True(result.ExitCode == 0, result.Output);
        var faces = result.Output.Split('\n').Where(l => l.Contains(" face ")).ToList();
        Assert.Equal(3, faces.Count);
        Assert.All(faces, l => Assert.Matches(@"sample1\.jpg  face \d  box \d+,\d+ \d+x\d+  score 0\.\d\d  [a-z]+ \d\.\d\d  [a-z]+ \d\.\d\d  [a-z]+ \d\.\d\d$", l.TrimEnd()));
        Assert.Contains("1 of 1 files read, 3 faces", result.Output);
    }

    [Fact]
    public void Json_and_csv_have_one_record_per_face_and_annotate_draws_every_photo()
    {
        using var dir = new TempDir();
        var json = CliRunner.Run("predict", Photos, "--format", "json", "--top", "2", "--annotate", dir.Combine("drawn"));
        Assert.True(json.ExitCode == 0, json.Output);
        using var document = JsonDocument.Parse(json.Output);
        var records = document.RootElement.EnumerateArray().ToList();
        Assert.Equal(22, records.Count);
        Assert.All(records, r =>
        {
            Assert.Equal(2, r.GetProperty("probabilities").EnumerateObject().Count());
            Assert.True(r.GetProperty("box").GetProperty("width").GetInt32() > 0);
            Assert.False(string.IsNullOrEmpty(r.GetProperty("dominant").GetString()));
        });
        var drawn = Directory.GetFiles(dir.Combine("drawn")).Order().ToList();
        Assert.Equal(6, drawn.Count);
        using (var original = Cv2.ImRead(Path.Combine(Photos, "sample1.jpg")))
        using (var annotated = Cv2.ImRead(drawn[0]))
        {
            Assert.Equal(original.Size(), annotated.Size());
            Assert.True(Cv2.Norm(original, annotated, NormTypes.L1) > 0, "nothing was drawn");
        }

        var csv = CliRunner.Run("predict", Path.Combine(Photos, "sample*.jpg"), "--format", "csv");
        Assert.True(csv.ExitCode == 0, csv.Output);
        var lines = csv.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("file,face,x,y,width,height,detection_score,dominant,neutral,anger,disgust,fear,happiness,sadness,surprise", lines[0].Trim());
        Assert.Equal(22, lines.Length - 1);
        Assert.All(lines.Skip(1), l => Assert.Equal(15, l.Split(',').Length));
    }

    [Fact]
    public void A_folder_of_mixed_junk_names_each_bad_file_and_exits_1()
    {
        using var dir = new TempDir();
        File.Copy(Path.Combine(Photos, "sample3.jpg"), dir.Combine("good.jpg"));
        File.WriteAllBytes(dir.Combine("empty.jpg"), []);
        File.WriteAllText(dir.Combine("text.png"), "hello");
        var jpg = File.ReadAllBytes(Path.Combine(Photos, "sample4.jpg"));
        File.WriteAllBytes(dir.Combine("cut.jpg"), jpg[..(jpg.Length / 2)]);
        File.WriteAllText(dir.Combine("notes.txt"), "ignored: not an image name");
        Directory.CreateDirectory(dir.Combine("sub"));
        Fixtures.WriteFace(dir.Combine("sub", "drawn.png"), 3, 64);
        var result = CliRunner.Run("predict", dir.Path, "--detector", "none");
        Assert.Equal(1, result.ExitCode);
        var errors = result.Output.Split('\n').Where(l => l.StartsWith("error: ")).ToList();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.Contains("empty.jpg: file is empty"));
        Assert.Contains(errors, e => e.Contains("text.png: is not a supported image"));
        Assert.Contains(errors, e => e.Contains("cut.jpg: JPEG is truncated"));
        Assert.Contains("good.jpg  face 1", result.Output);
        Assert.Contains("drawn.png  face 1", result.Output);
        Assert.Contains("2 of 5 files read", result.Output);
    }

    [Theory]
    [InlineData("predict")]
    [InlineData("predict", "x.jpg", "--format", "xml")]
    [InlineData("predict", "x.jpg", "--detector", "magic")]
    [InlineData("predict", "x.jpg", "--top", "0")]
    [InlineData("predict", "x.jpg", "--tpo", "2")]
    [InlineData("predict", "x.jpg", "--shift", "-1")]
    [InlineData("train")]
    [InlineData("train", "--epoch", "1", "--data", "x")]
    [InlineData("train", "--data", "x", "--epochs", "abc")]
    [InlineData("evaluate")]
    [InlineData("evaluate", "--checkpoint", "m.ckpt", "--data", "d", "--shift", "-2")]
    [InlineData("frobnicate")]
    public void Usage_mistakes_end_in_one_line_and_exit_2(params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", result.Output);
    }
}
