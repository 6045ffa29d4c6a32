using Fersnet.Imaging;
using Fersnet.Inference;
using Fersnet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Tests;

/// <summary>Forward passes under collections started by other threads (docs/RESULTS.md, "The native crashes").</summary>
public class GarbageCollectionRaceTests
{
    static GarbageCollectionRaceTests() => _ = TestPaths.RepoRoot;

    /// <summary>Runs <paramref name="pass"/> for up to 6 s (at most 3000 times) while another thread allocates and collects.</summary>
    private static void UnderCollections(Action pass)
    {
        bool stop = false;
        var collector = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                GC.KeepAlive(new byte[1 << 12]);
                GC.Collect(0);      // young objects only: the temporaries of the pass in flight are among them
                Thread.Sleep(1);
            }
        }) { IsBackground = true };
        collector.Start();
        int passes = 0;
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (passes < 3000 && clock.Elapsed < TimeSpan.FromSeconds(6))
            {
                pass();
                passes++;
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            collector.Join();
        }
        Assert.True(passes >= 10, $"only {passes} passes ran");
    }

    [Theory]
    [InlineData(SynthesisDecoder.Bottleneck)]
    [InlineData(SynthesisDecoder.Skip)]
    public void Forward_passes_survive_collections_started_by_other_threads(SynthesisDecoder decoder)
    {
        var config = ModelConfig.Lite(ModelKind.Fersnet, 7, width: 4) with { Decoder = decoder, GateBias = 0.5 };
        using var model = ModelFactory.Create(config);
        model.eval();
        using var input = rand(2, 1, config.ImageSize, config.ImageSize) * 2 - 1;
        using var target = nn.functional.one_hot(tensor(new long[] { 1, 4 }), 7).to(ScalarType.Float32);
        UnderCollections(() =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var output = model.call(input, target);
            Assert.True(float.IsFinite(output.Synthesized!.sum().item<float>()));
        });
    }

    [Fact]
    public void The_bundled_recognizer_survives_collections_started_by_other_threads()
    {
        using var recognizer = ExpressionRecognizer.Load(options: new RecognizerOptions { Detector = DetectorKind.None });
        using var face = new OpenCvSharp.Mat(48, 48, OpenCvSharp.MatType.CV_8UC1);
        OpenCvSharp.Cv2.Randu(face, OpenCvSharp.Scalar.All(0), OpenCvSharp.Scalar.All(255));
        UnderCollections(() => Assert.InRange(Assert.Single(recognizer.Recognize(face)).Probabilities.Values.Sum(), 0.99, 1.01));
    }
}
