using System.Collections.Concurrent;
using Fersnet.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Data;

/// <summary>
/// A dataset decoded once into one contiguous tensor: images (N,1,S,S) in [-1,1] and labels (N) as class
/// indices. Training slices batches out of it, so the hot loop never touches files or allocates per image.
/// </summary>
public sealed class FaceTensorSet : IDisposable
{
    public Tensor Images { get; }
    public Tensor Labels { get; }
    public IReadOnlyList<FaceSample> Samples { get; }
    public LabelSet LabelSet { get; }
    public IReadOnlyList<SkippedFile> Skipped { get; }
    public int ImageSize { get; }

    /// <summary>Per-image sharpness (<see cref="FaceImage.Sharpness"/>) at the loaded size, when it was measured.</summary>
    public IReadOnlyList<double>? Sharpness { get; }

    public FaceTensorSet(Tensor images, Tensor labels, IReadOnlyList<FaceSample> samples, LabelSet labelSet, IReadOnlyList<SkippedFile> skipped,
        IReadOnlyList<double>? sharpness = null)
    {
        if (images.shape.Length != 4 || images.shape[0] != samples.Count || labels.shape[0] != samples.Count)
            throw new ArgumentException($"images {string.Join('x', images.shape)} and labels {labels.shape[0]} do not match {samples.Count} samples");
        Images = images;
        Labels = labels;
        Samples = samples;
        LabelSet = labelSet;
        Skipped = skipped;
        ImageSize = (int)images.shape[3];
        Sharpness = sharpness;
    }

    public int Count => Samples.Count;

    /// <summary>The images and labels at <paramref name="indices"/>, as a new set (tensors are copied).</summary>
    public FaceTensorSet Subset(IReadOnlyList<int> indices)
    {
        using var index = tensor(indices.Select(i => (long)i).ToArray(), ScalarType.Int64);
        return new FaceTensorSet(Images.index_select(0, index), Labels.index_select(0, index),
            indices.Select(i => Samples[i]).ToArray(), LabelSet, [], Sharpness is null ? null : indices.Select(i => Sharpness[i]).ToArray());
    }

    /// <summary>Number of images of each class, in <see cref="LabelSet"/> order.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[LabelSet.Count];
        foreach (var s in Samples) counts[LabelSet.IndexOf(s.Label)]++;
        return counts;
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>Decodes a scanned dataset into a <see cref="FaceTensorSet"/>; one bad image never stops the rest.</summary>
public static class FaceDataLoader
{
    /// <summary>
    /// Decodes every sample of <paramref name="scan"/> to <paramref name="size"/>x<paramref name="size"/>.
    /// Files that cannot be decoded are added to <see cref="FaceTensorSet.Skipped"/> with their reason.
    /// </summary>
    /// <param name="labels">The class order to use; by default the classes present in the scan.</param>
    public static FaceTensorSet Load(DatasetScan scan, int size, LabelSet? labels = null, IProgress<int>? progress = null)
    {
        labels ??= scan.Labels;
        int pixels = size * size;
        var buffer = new float[scan.Samples.Count * pixels];
        var sharpness = new double[scan.Samples.Count];
        var failures = new ConcurrentDictionary<int, string>();
        int done = 0;
        Parallel.For(0, scan.Samples.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var sample = scan.Samples[i];
            try
            {
                using var gray = Decode(sample);
                using var square = FaceImage.ResizeSquare(gray, size);
                FaceImage.ToUnitRange(square, buffer.AsSpan(i * pixels, pixels));
                sharpness[i] = FaceImage.Sharpness(square);
            }
            catch (ImageException e)
            {
                failures[i] = e.Problem;
            }
            int finished = Interlocked.Increment(ref done);
            if (finished % 1000 == 0) progress?.Report(finished);
        });

        var kept = Enumerable.Range(0, scan.Samples.Count).Where(i => !failures.ContainsKey(i) && labels.Classes.Contains(scan.Samples[i].Label)).ToArray();
        var skipped = scan.Skipped
            .Concat(failures.OrderBy(f => f.Key).Select(f => new SkippedFile(scan.Samples[f.Key].Source, f.Value)))
            .Concat(Enumerable.Range(0, scan.Samples.Count)
                .Where(i => !failures.ContainsKey(i) && !labels.Classes.Contains(scan.Samples[i].Label))
                .Select(i => new SkippedFile(scan.Samples[i].Source, $"class {scan.Samples[i].Label.Name()} is not one of the model's classes")))
            .ToArray();

        var keptPixels = new float[kept.Length * pixels];
        for (int k = 0; k < kept.Length; k++) buffer.AsSpan(kept[k] * pixels, pixels).CopyTo(keptPixels.AsSpan(k * pixels, pixels));
        var images = tensor(keptPixels, [kept.Length, 1, size, size]);
        var classIndices = tensor(kept.Select(i => (long)labels.IndexOf(scan.Samples[i].Label)).ToArray(), ScalarType.Int64);
        return new FaceTensorSet(images, classIndices, kept.Select(i => scan.Samples[i]).ToArray(), labels, skipped, kept.Select(i => sharpness[i]).ToArray());
    }

    /// <summary>Reads and decodes one sample (file or inline CSV pixels) to 8-bit grayscale.</summary>
    public static OpenCvSharp.Mat Decode(FaceSample sample)
    {
        if (sample.Pixels is null) return FaceImage.ReadGray(sample.Source);
        var mat = new OpenCvSharp.Mat(sample.Pixels.Length / sample.PixelWidth, sample.PixelWidth, OpenCvSharp.MatType.CV_8UC1);
        System.Runtime.InteropServices.Marshal.Copy(sample.Pixels, 0, mat.Data, sample.Pixels.Length);
        return mat;
    }
}
