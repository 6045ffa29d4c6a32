using Fersnet.Training;
using Fersnet.Data;

namespace Fersnet.Tests;

public class DatasetReaderTests
{
    [Fact]
    public void Expression_aliases_map_to_one_enum()
    {
        Assert.Equal(Expression.Anger, Expressions.Parse("angry"));
        Assert.Equal(Expression.Sadness, Expressions.Parse("SAD"));
        Assert.Equal(Expression.Happiness, Expressions.Parse("happy"));
        Assert.Equal(Expression.Fear, Expressions.Parse("fearful"));
        Assert.Equal(Expression.Disgust, Expressions.Parse("disgusted"));
        Assert.Equal(Expression.Surprise, Expressions.Parse("surprised"));
        Assert.Equal("happiness", Expression.Happiness.Name());
        Assert.False(Expressions.TryParse("bored", out _));
        Assert.Throws<FormatException>(() => Expressions.Parse("bored"));
    }

    [Fact]
    public void Class_folders_with_and_without_split_folders()
    {
        using var dir = new TempDir();
        Fixtures.WriteFace(dir.Combine("flat", "happy", "a.png"), 1);
        Fixtures.WriteFace(dir.Combine("flat", "sad", "b.jpg"), 2);
        Fixtures.WriteFace(dir.Combine("flat", "sad", "c.bmp"), 3);
        var flat = DatasetReader.Read(dir.Combine("flat"));
        Assert.Equal(DatasetLayout.ClassFolders, flat.Layout);
        Assert.Equal(3, flat.Samples.Count);
        Assert.Equal([Expression.Happiness, Expression.Sadness], flat.Labels.Classes);
        Assert.All(flat.Samples, s => Assert.Null(s.Split));

        Fixtures.WriteFace(dir.Combine("nested", "train", "angry", "a.png"), 1);
        Fixtures.WriteFace(dir.Combine("nested", "train", "neutral", "b.png"), 2);
        Fixtures.WriteFace(dir.Combine("nested", "val", "angry", "c.png"), 3);
        var nested = DatasetReader.Read(dir.Combine("nested"));
        Assert.Equal(DatasetLayout.ClassFolders, nested.Layout);
        Assert.Equal(["train", "val"], nested.Splits);
        Assert.Equal(2, nested.Samples.Count(s => s.Split == "train"));
    }

    [Fact]
    public void A_label_set_orders_its_classes_and_refuses_one_it_lacks_with_an_argument_error_naming_them()
    {
        var labels = new LabelSet([Expression.Surprise, Expression.Anger, Expression.Anger]);
        Assert.Equal([Expression.Anger, Expression.Surprise], labels.Classes);
        Assert.Equal(1, labels.IndexOf(Expression.Surprise));
        var e = Assert.Throws<ArgumentException>(() => labels.IndexOf(Expression.Fear));
        Assert.Contains("fear is not one of this model's classes (anger, surprise)", e.Message);
    }

    [Fact]
    public void CkPlus_names_give_subject_and_sequence()
    {
        using var dir = new TempDir();
        Fixtures.WriteFace(dir.Combine("anger", "S010_004_00000017.png"), 1);
        Fixtures.WriteFace(dir.Combine("anger", "S010_004_00000018.png"), 2);
        Fixtures.WriteFace(dir.Combine("happy", "S011_002_00000020.png"), 3);
        var scan = DatasetReader.Read(dir.Path);
        Assert.Equal(DatasetLayout.CkPlus, scan.Layout);
        Assert.Equal(2, scan.SubjectCount);
        var first = scan.Samples[0];
        Assert.Equal(("S010", "S010_004", Expression.Anger), (first.Subject, first.Sequence, first.Label));
    }

    /// <summary>Two Training faces, one PublicTest, one PrivateTest, in FER2013's folder layout.</summary>
    private static TempDir Fer2013Folders()
    {
        var dir = new TempDir();
        Fixtures.WriteFace(dir.Combine("train", "angry", "Training_1.jpg"), 1);
        Fixtures.WriteFace(dir.Combine("train", "happy", "Training_2.jpg"), 2);
        Fixtures.WriteFace(dir.Combine("test", "happy", "PublicTest_3.jpg"), 3);
        Fixtures.WriteFace(dir.Combine("test", "angry", "PrivateTest_4.jpg"), 4);
        return dir;
    }

    [Fact]
    public void Fer2013_folders_take_the_split_from_the_file_name()
    {
        using var dir = Fer2013Folders();
        var scan = DatasetReader.Read(dir.Path);
        Assert.Equal(DatasetLayout.Fer2013Folders, scan.Layout);
        Assert.Equal(["Training", "PublicTest", "PrivateTest"], scan.Splits);
        var split = Splits.Fer2013(scan.Samples);
        Assert.Equal((2, 1, 1), (split.Train.Count, split.Validation.Count, split.Test.Count));
    }

    [Fact]
    public void Named_splits_train_and_validate_on_what_is_asked_and_refuse_an_unknown_name()
    {
        using var dir = Fer2013Folders();
        using var sets = TrainingData.Load(new DataConfig(dir.Path, TrainSplits: ["Training", "publictest"], ValidationSplits: ["PrivateTest"]), 48);
        Assert.Equal(["PublicTest", "Training", "Training"], sets.Train.Samples.Select(s => s.Split).Order(StringComparer.Ordinal));
        Assert.Equal(["PrivateTest"], sets.Validation!.Samples.Select(s => s.Split));

        var unknown = Assert.Throws<ArgumentException>(() => TrainingData.Load(new DataConfig(dir.Path, TrainSplits: ["Train"]), 48));
        Assert.Contains("no split named 'Train'", unknown.Message);
        Assert.Contains("PrivateTest, PublicTest, Training", unknown.Message);
        Assert.Throws<ArgumentException>(() => TrainingData.Load(new DataConfig(dir.Path, TrainSplits: ["Training"], ValidationSplits: ["training"]), 48));
    }

    [Fact]
    public void Fer2013_csv_rows_become_inline_images_and_bad_rows_are_reported()
    {
        using var dir = new TempDir();
        string pixels = string.Join(' ', Enumerable.Range(0, 48 * 48).Select(i => i % 256));
        File.WriteAllLines(dir.Combine("fer2013.csv"),
        [
            "emotion,pixels,Usage",
            $"3,{pixels},Training",
            $"6,{pixels},PublicTest",
            $"0,{pixels},PrivateTest",
            $"9,{pixels},Training",
            "2,1 2 3,Training",
        ]);
        var scan = DatasetReader.Read(dir.Path);
        Assert.Equal(DatasetLayout.Fer2013Csv, scan.Layout);
        Assert.Equal([Expression.Happiness, Expression.Neutral, Expression.Anger], scan.Samples.Select(s => s.Label));
        Assert.Equal(2, scan.Skipped.Count);
        Assert.Contains(scan.Skipped, s => s.Path.EndsWith(":5") && s.Reason.Contains("not a FER2013 code"));
        Assert.Contains(scan.Skipped, s => s.Path.EndsWith(":6") && s.Reason.Contains("not a square"));

        using var loaded = FaceDataLoader.Load(scan, 48);
        Assert.Equal([3, 1, 48, 48], loaded.Images.shape);
        Assert.Equal(-1f, loaded.Images[0, 0, 0, 0].item<float>(), 3);          // pixel 0 -> -1
        Assert.Equal(1f, loaded.Images[0, 0, 5, 15].item<float>(), 3);          // pixel 255 -> +1
    }

    [Fact]
    public void Jaffe_names_give_subject_and_expression()
    {
        using var dir = new TempDir();
        Fixtures.WriteFace(dir.Combine("KA.AN1.39.tiff"), 1);
        Fixtures.WriteFace(dir.Combine("KA.HA2.30.tiff"), 2);
        Fixtures.WriteFace(dir.Combine("YM.NE1.49.tiff"), 3);
        Fixtures.WriteFace(dir.Combine("YM.XX1.50.tiff"), 4);
        var scan = DatasetReader.Read(dir.Path);
        Assert.Equal(DatasetLayout.Jaffe, scan.Layout);
        Assert.Equal([Expression.Anger, Expression.Happiness, Expression.Neutral], scan.Samples.Select(s => s.Label));
        Assert.Equal(["KA", "KA", "YM"], scan.Samples.Select(s => s.Subject));
        Assert.Single(scan.Skipped, s => s.Reason.Contains("unknown JAFFE expression code 'XX'"));
    }

    [Fact]
    public void Real_ckplus48_has_981_images_7_classes_118_subjects()
    {
        var scan = DatasetReader.Read(TestPaths.CkPlus);
        Assert.Equal(DatasetLayout.CkPlus, scan.Layout);
        Assert.Equal(981, scan.Samples.Count);
        Assert.Equal(7, scan.Labels.Count);
        Assert.Equal(118, scan.SubjectCount);
        Assert.Equal(327, scan.Samples.Select(s => s.Sequence).Distinct().Count());
        Assert.Empty(scan.Skipped);
        var counts = scan.Samples.GroupBy(s => s.Label).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(135, counts[Expression.Anger]);
        Assert.Equal(54, counts[Expression.Contempt]);
        Assert.Equal(249, counts[Expression.Surprise]);
    }

    [Fact]
    public void Real_fer2013_has_the_official_split_sizes()
    {
        var scan = DatasetReader.Read(TestPaths.Fer2013);
        Assert.Equal(DatasetLayout.Fer2013Folders, scan.Layout);
        var split = Splits.Fer2013(scan.Samples);
        Assert.Equal((28709, 3589, 3589), (split.Train.Count, split.Validation.Count, split.Test.Count));
        Assert.Equal(7, scan.Labels.Count);
    }

    [Fact]
    public void Real_ckplus48_loads_into_one_tensor_in_unit_range()
    {
        using var set = FaceDataLoader.Load(DatasetReader.Read(TestPaths.CkPlus), 48);
        Assert.Equal([981, 1, 48, 48], set.Images.shape);
        Assert.True(set.Images.min().item<float>() >= -1f && set.Images.max().item<float>() <= 1f);
        Assert.Equal(new[] { 135, 54, 177, 75, 207, 84, 249 }, set.ClassCounts());
    }
}
