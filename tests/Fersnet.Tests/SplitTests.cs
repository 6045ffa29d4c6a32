using Fersnet.Data;

namespace Fersnet.Tests;

public class SplitTests
{
    private static readonly IReadOnlyList<FaceSample> CkPlus = DatasetReader.Read(TestPaths.CkPlus).Samples;

    [Theory]
    [InlineData(10)]
    [InlineData(5)]
    public void Subject_kfold_tests_every_image_once_and_never_splits_a_subject(int k)
    {
        var folds = Splits.SubjectKFold(CkPlus, k, seed: 7);
        Assert.Equal(k, folds.Count);

        var tested = folds.SelectMany(f => f.Test).ToList();
        Assert.Equal(CkPlus.Count, tested.Count);
        Assert.Equal(CkPlus.Count, tested.Distinct().Count());

        foreach (var fold in folds)
        {
            Assert.Equal(CkPlus.Count, fold.Train.Count + fold.Test.Count);
            var trainSubjects = fold.Train.Select(i => CkPlus[i].Subject).ToHashSet();
            Assert.DoesNotContain(fold.Test, i => trainSubjects.Contains(CkPlus[i].Subject));
        }
        var foldOfSubject = folds.SelectMany(f => f.Test.Select(i => (CkPlus[i].Subject, f.Index))).Distinct().GroupBy(x => x.Subject);
        Assert.All(foldOfSubject, g => Assert.Single(g));
    }

    [Fact]
    public void Subject_kfold_is_stratified_and_balanced()
    {
        var folds = Splits.SubjectKFold(CkPlus, 10, seed: 7);
        Assert.All(folds, f => Assert.InRange(f.Test.Count, 981 / 10 * 0.75, 981 / 10 * 1.25));
        // Every fold tests every class, and each class's share stays near 1/10.
        foreach (var label in CkPlus.Select(s => s.Label).Distinct())
        {
            int total = CkPlus.Count(s => s.Label == label);
            Assert.All(folds, f => Assert.InRange(f.Test.Count(i => CkPlus[i].Label == label), 1, total * 0.25));
        }
    }

    [Fact]
    public void Subject_kfold_is_deterministic_for_a_seed()
    {
        var a = Splits.SubjectKFold(CkPlus, 10, seed: 1);
        var b = Splits.SubjectKFold(CkPlus, 10, seed: 1);
        var c = Splits.SubjectKFold(CkPlus, 10, seed: 2);
        Assert.Equal(a.Select(f => f.Test), b.Select(f => f.Test));
        Assert.NotEqual(a.Select(f => string.Join(',', f.Test)), c.Select(f => string.Join(',', f.Test)));
    }

    [Fact]
    public void Group_holdout_keeps_subjects_out_of_training()
    {
        var fold = Splits.SubjectKFold(CkPlus, 10, seed: 3)[0];
        var (train, validation) = Splits.GroupHoldout(CkPlus, fold.Train, 0.1, seed: 3);
        Assert.Equal(fold.Train.Count, train.Count + validation.Count);
        Assert.Empty(train.Intersect(validation));
        Assert.Empty(validation.Intersect(fold.Test));
        var trainSubjects = train.Select(i => CkPlus[i].Subject).ToHashSet();
        Assert.DoesNotContain(validation, i => trainSubjects.Contains(CkPlus[i].Subject));
        Assert.InRange(validation.Count, fold.Train.Count * 0.05, fold.Train.Count * 0.2);
    }

    [Fact]
    public void Too_few_subjects_for_k_is_an_error()
    {
        var samples = Enumerable.Range(0, 20).Select(i => new FaceSample($"f{i}", i % 2 == 0 ? Expression.Anger : Expression.Fear, Subject: $"S{i % 3}")).ToList();
        Assert.Throws<ArgumentException>(() => Splits.SubjectKFold(samples, 5, 0));
    }
}
