using Fersnet.Data;
using Fersnet.Models;
using Fersnet.Synthesis;
using OpenCvSharp;
using static TorchSharp.torch;

namespace Fersnet.Tests;

public class SynthesisTests
{
    private static FaceTensorSet SmallCkPlus(int subjects)
    {
        var scan = DatasetReader.Read(TestPaths.CkPlus);
        var keep = scan.Samples.Select(s => s.Subject).Distinct().Order(StringComparer.Ordinal).Take(subjects).ToHashSet();
        return FaceDataLoader.Load(scan with { Samples = scan.Samples.Where(s => keep.Contains(s.Subject)).ToArray() }, 48, scan.Labels);
    }

    [Fact]
    public void The_enlarged_set_keeps_the_real_faces_and_fills_every_class_to_the_number_of_real_faces()
    {
        using var real = SmallCkPlus(10);
        manual_seed(3);
        using var model = ModelFactory.Create(new ModelConfig(ModelKind.Fersnet, 48, 8, false, real.LabelSet.Count));
        model.train();
        using var enlarged = SyntheticFaces.Enlarge(model, real);

        int classes = real.LabelSet.Count;
        Assert.Equal(real.Count * classes, enlarged.Count);
        Assert.All(enlarged.ClassCounts(), count => Assert.Equal(real.Count, count));
        Assert.True(model.training, "the model's mode is put back");

        // The real faces come first, unchanged; every synthetic face shows another expression than its source.
        Assert.True(enlarged.Images.narrow(0, 0, real.Count).eq(real.Images).all().item<bool>());
        var synthetic = enlarged.Samples.Skip(real.Count).ToArray();
        Assert.All(synthetic, s => Assert.Equal(SyntheticFaces.SyntheticSplit, s.Split));
        var bySource = synthetic.GroupBy(s => s.Source[..s.Source.LastIndexOf(" as ", StringComparison.Ordinal)]).ToArray();
        Assert.Equal(real.Count, bySource.Length);
        foreach (var group in bySource)
        {
            var original = real.Samples.Single(s => s.Source == group.Key);
            Assert.Equal(classes - 1, group.Count());
            Assert.DoesNotContain(group, s => s.Label == original.Label);
            Assert.All(group, s => Assert.Equal(original.Subject, s.Subject));
        }
        var labels = enlarged.Labels.data<long>().ToArray();
        Assert.Equal(synthetic.Select(s => (long)real.LabelSet.IndexOf(s.Label)), labels.Skip(real.Count));

        var drawn = enlarged.Images.narrow(0, real.Count, enlarged.Count - real.Count);
        Assert.True(drawn.isfinite().all().item<bool>());
        Assert.InRange(drawn.min().item<float>(), -1f, 1f);
        Assert.InRange(drawn.max().item<float>(), -1f, 1f);
    }

    [Fact]
    public void Redrawing_follows_the_target_and_is_deterministic_in_eval_mode()
    {
        using var real = SmallCkPlus(4);
        manual_seed(5);
        using var model = ModelFactory.Create(new ModelConfig(ModelKind.Fersnet, 48, 8, false, real.LabelSet.Count));
        using var faces = real.Images.narrow(0, 0, 3);
        using var anger = zeros([3], ScalarType.Int64);
        using var surprise = full([3], real.LabelSet.Count - 1, ScalarType.Int64);
        using var first = SyntheticFaces.Redraw(model, faces, anger, batchSize: 2);
        using var again = SyntheticFaces.Redraw(model, faces, anger);
        using var other = SyntheticFaces.Redraw(model, faces, surprise);
        Assert.Equal([3L, 1, 48, 48], first.shape);
        Assert.True(first.allclose(again, rtol: 1e-5, atol: 1e-6), "batching or repetition changed the drawing");
        Assert.False(first.allclose(other), "the target expression does not reach the decoder");

        using var single = ModelFactory.Create(new ModelConfig(ModelKind.Single, 48, 8, false, real.LabelSet.Count));
        var error = Assert.Throws<ArgumentException>(() => SyntheticFaces.Redraw(single, faces, anger));
        Assert.Contains("no synthesis branch", error.Message);
    }

    [Fact]
    public void The_grid_shows_one_row_per_expression_and_a_column_per_target()
    {
        using var dir = new TempDir();
        using var real = SmallCkPlus(12);
        using var model = ModelFactory.Create(new ModelConfig(ModelKind.Fersnet, 48, 8, false, real.LabelSet.Count));
        string path = dir.Combine("grid.png");
        SynthesisGrid.Write(model, real, path);
        using var grid = Cv2.ImRead(path, ImreadModes.Grayscale);
        int rows = real.ClassCounts().Count(c => c > 0);
        Assert.Equal((real.LabelSet.Count + 1) * 96, grid.Width);
        Assert.Equal(20 + rows * 96, grid.Height);
    }
}
