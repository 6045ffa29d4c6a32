using System.Diagnostics;
using Fersnet.Data;
using Fersnet.Evaluation;
using Fersnet.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Fersnet.Training;

/// <summary>Progress of one training batch: running means of the epoch so far.</summary>
public sealed record BatchProgress(int Epoch, int Batch, int Batches, double ImagesPerSecond, double Accuracy, IReadOnlyDictionary<string, double> Terms);

/// <summary>
/// Trains a multi-task model (the solver, in StarGAN's terms). Each step has three labelled phases:
/// discriminator (real vs generated faces, expression of real faces), generator and recognition (FER
/// cross-entropy plus the synthesis losses: adversarial, target-expression classification, cycle and identity
/// L1, the paired L1 against a real face of the same subject with the target expression where the data has one,
/// a frozen, separately trained judge's classification of generated faces when the run names one, and the attention mask's sparsity and smoothness for decoders with a mask), logging. Checkpoints hold everything needed to resume.
/// </summary>
public sealed class Trainer : IDisposable
{
    public MultiTaskModel Model { get; }
    public PatchDiscriminator? Discriminator { get; }
    public TrainConfig Config { get; }
    public LabelSet Labels { get; }
    public DataConfig? Data { get; }

    /// <summary>Epochs finished so far (the next epoch's index).</summary>
    public int CompletedEpochs { get; private set; }
    public double BestMetric { get; private set; } = double.NegativeInfinity;
    public int BestEpoch { get; private set; } = -1;
    public List<EpochMetrics> History { get; } = [];

    /// <summary>Weights of the best epoch so far (by validation accuracy), for model selection without a run folder.</summary>
    public byte[]? BestModelState { get; private set; }

    public event Action<BatchProgress>? BatchCompleted;

    /// <summary>Raised after an epoch's checkpoint and files are written.</summary>
    public event Action<EpochMetrics>? EpochCompleted;

    /// <summary>Where the model, the discriminator and each batch live (the data sets stay in host memory).</summary>
    public Device Device { get; }

    /// <summary>The model that validation scores and selection keeps: the weight average when the run keeps one.</summary>
    public MultiTaskModel EvaluatedModel => average?.Model ?? Model;

    private readonly AdamW optimizer;
    private readonly WeightAverage? average;
    private readonly AdamW? discriminatorOptimizer;
    private readonly Generator dataRandom;
    private readonly Augmenter augmenter;
    private Tensor? classWeights;
    private PairedFaces? pairedFaces;
    private readonly ExpressionJudge? judge;

    private Trainer(ModelConfig modelConfig, TrainConfig config, LabelSet labels, DataConfig? data, Device? device)
    {
        config.Validate();
        if (modelConfig.Classes != labels.Count)
            throw new ArgumentException($"model has {modelConfig.Classes} classes, data has {labels.Count}");
        // A run that uses the issue-17 terms records their weights in its checkpoints; older kinds of run keep their config as it was.
        bool newTerms = modelConfig.Decoder == SynthesisDecoder.Skip || config.PairedShare > 0;
        Config = newTerms ? config with { Losses = config.Losses.Resolved() } : config;
        Labels = labels;
        Data = data;
        Device = device ?? CPU;
        // Loading a checkpoint leaves the global generator as it was, so the judge cannot shift the run's streams.
        if (config.JudgeFrom is { } judgePath && config.Losses.Judge > 0 && modelConfig.HasSynthesis)
            judge = ExpressionJudge.Load(judgePath, labels, Device, config.JudgeBlur);
        // One seed decides initial weights, shuffling, augmentation, sampled targets and dropout.
        manual_seed(config.Seed);
        Model = ModelFactory.Create(modelConfig).to(Device);
        if (Model is FersNet fersnet) fersnet.SynthesisGradientsIntoFer = config.SynthesisGradientsIntoFer;
        optimizer = optim.AdamW(Model.parameters(), config.LearningRate, beta1: 0.9, beta2: 0.999, weight_decay: config.WeightDecay);
        if (modelConfig.HasSynthesis)
        {
            Discriminator = new PatchDiscriminator(modelConfig).to(Device);
            // β1 = 0.5 as in DCGAN/StarGAN: momentum makes the adversarial game oscillate.
            discriminatorOptimizer = optim.AdamW(Discriminator.parameters(), config.DiscriminatorLearningRate, beta1: 0.5, beta2: 0.999, weight_decay: 0);
        }
        if (config.WeightAverageDecay is { } decay) average = new WeightAverage(Model, decay);
        dataRandom = new Generator((ulong)config.Seed);
        augmenter = new Augmenter(config.Augment, dataRandom);
    }

    /// <summary>What <see cref="TrainConfig.InitFrom"/> gave this run, if it was warm-started.</summary>
    public WarmStartReport? WarmStarted { get; private set; }

    /// <summary>A new run at epoch 1, warm-started from <see cref="TrainConfig.InitFrom"/> when that is set.</summary>
    /// <exception cref="CheckpointException">The warm-start checkpoint cannot be used.</exception>
    /// <param name="device">Where to train (default: the CPU); see <see cref="Runtime.ComputeDevice"/>.</param>
    public static Trainer Create(ModelConfig model, TrainConfig config, LabelSet labels, DataConfig? data = null, Device? device = null)
    {
        var trainer = new Trainer(model, config, labels, data, device);
        if (config.InitFrom is { } init)
        {
            try
            {
                trainer.WarmStarted = WarmStart.Apply(init, trainer.Model, trainer.Discriminator, labels);
                trainer.average?.CopyFromLive();
            }
            catch
            {
                trainer.Dispose();
                throw;
            }
        }
        return trainer;
    }

    /// <summary>Rebuilds a trainer from a checkpoint: weights, optimiser states, RNG states, epoch and history.</summary>
    /// <exception cref="CheckpointException">The file is missing, damaged or does not match.</exception>
    /// <param name="device">Where to go on training (the device may differ from the one that wrote the checkpoint).</param>
    public static Trainer Resume(string checkpointPath, Func<TrainConfig, TrainConfig>? adjust = null, Device? device = null)
    {
        var (header, sections) = Checkpoint.Load(checkpointPath);
        var trainer = new Trainer(header.Model, adjust?.Invoke(header.Train) ?? header.Train, new LabelSet(header.Labels), header.Data, device);
        try
        {
            ModelState.Into(trainer.Model, Section(sections, "model"), "model weights");
            ModelState.Into(trainer.optimizer, Section(sections, "optimizer"));
            if (trainer.Discriminator is not null)
            {
                ModelState.Into(trainer.Discriminator, Section(sections, "discriminator"), "discriminator weights");
                ModelState.Into(trainer.discriminatorOptimizer!, Section(sections, "discriminator_optimizer"));
            }
            using (var state = ModelState.RngTensor(Section(sections, "rng_data"))) trainer.dataRandom.set_state(state);
            using (var state = ModelState.RngTensor(Section(sections, "rng_global"))) random.set_rng_state(state);
            trainer.BestModelState = sections.TryGetValue("best_model", out var best) ? best : BestBeside(checkpointPath, header);
            trainer.average?.Load(Section(sections, "model_average"), BitConverter.ToInt64(Section(sections, "model_average_updates")));
        }
        catch (Exception e) when (e is InvalidDataException or KeyNotFoundException or ArgumentException or EndOfStreamException)
        {
            trainer.Dispose();
            throw new CheckpointException(checkpointPath, e.Message, e);
        }
        trainer.CompletedEpochs = header.Epoch;
        trainer.BestMetric = header.BestMetric;
        trainer.BestEpoch = header.BestEpoch;
        trainer.History.AddRange(header.History);
        return trainer;

        static byte[] Section(IReadOnlyDictionary<string, byte[]> sections, string name) =>
            sections.TryGetValue(name, out var bytes) ? bytes : throw new KeyNotFoundException($"section '{name}' is missing");
    }

    /// <summary>
    /// The best epoch's weights for a run folder's last.ckpt, which leaves them to the best.ckpt beside it. None before a
    /// first best epoch, and none when best.ckpt is newer than last.ckpt (a run killed between writing the two: the epoch
    /// it lost is trained again and selected again).
    /// </summary>
    private static byte[]? BestBeside(string checkpointPath, CheckpointHeader header)
    {
        if (header.BestEpoch < 1) return null;
        string path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpointPath))!, RunFiles.BestCheckpoint);
        if (!File.Exists(path))
            throw new KeyNotFoundException($"its best epoch ({header.BestEpoch}) is kept in {RunFiles.BestCheckpoint} beside it, which is missing");
        var (best, sections) = Checkpoint.Load(path);
        if (best.Epoch > header.Epoch) return null;
        if (best.Epoch != header.BestEpoch)
            throw new KeyNotFoundException($"its best epoch is {header.BestEpoch}, but {RunFiles.BestCheckpoint} beside it holds epoch {best.Epoch}");
        return sections.TryGetValue("model", out var weights) ? weights : throw new CheckpointException(path, "has no model weights");
    }

    /// <summary>
    /// Trains until <see cref="TrainConfig.Epochs"/>, from <see cref="CompletedEpochs"/>. With a run folder, writes
    /// last.ckpt, best.ckpt and metrics.jsonl after every epoch (what a resumed run needs), then raises
    /// <see cref="EpochCompleted"/>: whoever runs the trainer decides what else to draw or write.
    /// </summary>
    public void Fit(FaceTensorSet train, FaceTensorSet? validation, string? runDirectory = null, CancellationToken cancellation = default)
    {
        if (!train.LabelSet.Equals(Labels)) throw new ArgumentException("training data has other classes than the model");
        classWeights?.Dispose();
        classWeights = Config.ClassWeights ? Losses.InverseFrequencyWeights(train.ClassCounts()).to(Device) : null;
        pairedFaces = Config.PairedShare > 0 && Model.Config.HasSynthesis ? PairedFaces.For(train) : null;
        while (CompletedEpochs < Config.Epochs)
        {
            cancellation.ThrowIfCancellationRequested();
            var metrics = TrainEpoch(train, validation);
            History.Add(metrics);
            CompletedEpochs++;
            double score = metrics.ValidationAccuracy ?? metrics.TrainAccuracy;
            bool selectable = metrics.Epoch == Config.Epochs || metrics.Epoch > (int)Math.Floor(Config.SelectionStart * Config.Epochs);
            bool improved = selectable && score >= BestMetric;
            if (improved)
            {
                (BestMetric, BestEpoch) = (score, metrics.Epoch);
                BestModelState = ModelState.Of(EvaluatedModel);
            }
            if (runDirectory is not null)
            {
                Directory.CreateDirectory(runDirectory);
                // best.ckpt first: last.ckpt leaves the best weights to it, so it never names a best epoch best.ckpt lacks.
                if (improved) SaveCheckpoint(Path.Combine(runDirectory, RunFiles.BestCheckpoint), includeTrainingState: false);
                SaveCheckpoint(Path.Combine(runDirectory, RunFiles.LastCheckpoint), includeTrainingState: true, bestWeightsBeside: true);
                RunFiles.WriteMetrics(Path.Combine(runDirectory, RunFiles.Metrics), History);
            }
            EpochCompleted?.Invoke(metrics);
        }
    }

    /// <summary>Loads the weights of the best epoch (the average's, when the run keeps one) into <see cref="Model"/>.</summary>
    public void RestoreBest()
    {
        if (BestModelState is not null) ModelState.Into(Model, BestModelState, "best weights");
    }

    private double LearningRateFactor(int epoch) => 0.5 * (1 + Math.Cos(Math.PI * epoch / Config.Epochs));

    /// <summary>Whether this epoch trains the synthesis losses (after the recognition-only warm-up).</summary>
    public bool SynthesisActive(int epoch) => Model.Config.HasSynthesis && epoch >= Config.SynthesisWarmupEpochs;

    private EpochMetrics TrainEpoch(FaceTensorSet train, FaceTensorSet? validation)
    {
        int epoch = CompletedEpochs;
        double factor = LearningRateFactor(epoch);
        foreach (var group in optimizer.ParamGroups) group.LearningRate = Config.LearningRate * factor;
        if (discriminatorOptimizer is not null)
            foreach (var group in discriminatorOptimizer.ParamGroups) group.LearningRate = Config.DiscriminatorLearningRate * factor;
        bool synthesis = SynthesisActive(epoch);

        Model.train();
        Discriminator?.train();
        var stopwatch = Stopwatch.StartNew();
        var sums = new Dictionary<string, double>();
        long seen = 0, correct = 0;
        using var order = randperm(train.Count, generator: dataRandom);
        // Drop a last batch of one: batch norm cannot train on it.
        int batches = (int)Math.Ceiling(train.Count / (double)Config.BatchSize);
        if (train.Count % Config.BatchSize == 1 && batches > 1) batches--;
        for (int batch = 0; batch < batches; batch++)
        {
            long start = (long)batch * Config.BatchSize;
            long length = Math.Min(Config.BatchSize, train.Count - start);
            using var scope = NewDisposeScope();
            var indices = order.narrow(0, start, length);
            bool synthesisStep = synthesis && batch % Config.SynthesisEvery == 0;
            var targets = synthesisStep && pairedFaces is not null ? PairedTargets(train, indices) : null;
            var step = TrainStep(train.Images.index_select(0, indices), train.Labels.index_select(0, indices), synthesisStep, epoch, batch, targets);
            foreach (var (term, value) in step.Terms) sums[term] = sums.GetValueOrDefault(term) + value * length;
            seen += length;
            correct += step.Correct;
            BatchCompleted?.Invoke(new BatchProgress(epoch, batch + 1, batches, seen / stopwatch.Elapsed.TotalSeconds,
                (double)correct / seen, sums.ToDictionary(kv => kv.Key, kv => kv.Value / seen)));
        }
        double seconds = stopwatch.Elapsed.TotalSeconds;
        CheckBuffers(epoch);

        double? validationLoss = null, validationAccuracy = null, validationF1 = null;
        IReadOnlyList<double>? gates = null;
        if (validation is not null)
        {
            using var predictions = Evaluator.PredictWithGates(EvaluatedModel, validation, out gates);
            if (!predictions.Probabilities.isfinite().all().item<bool>())
                throw new NonFiniteException($"epoch {epoch + 1}: the model's validation outputs are not finite");
            var report = predictions.Report(Labels);
            (validationLoss, validationAccuracy, validationF1) = (predictions.MeanLoss, report.Accuracy, report.MacroF1);
        }
        return new EpochMetrics(epoch + 1, Config.LearningRate * factor, seconds, seen / seconds,
            sums.GetValueOrDefault("fer") / seen, (double)correct / seen,
            sums.ToDictionary(kv => kv.Key, kv => kv.Value / seen), validationLoss, validationAccuracy, validationF1, gates);
    }

    /// <summary>A synthesis batch's targets drawn by <see cref="PairedFaces"/>, with the reference faces of the paired loss.</summary>
    private SynthesisTargets PairedTargets(FaceTensorSet train, Tensor indices)
    {
        var (targets, references) = pairedFaces!.Draw(indices.data<long>().ToArray(), Config.PairedShare, dataRandom);
        var faces = indices.data<long>().ToArray();
        using var referenceIndex = tensor(references.Select((r, b) => r >= 0 ? r : faces[b]).ToArray(), ScalarType.Int64);
        return new SynthesisTargets(tensor(targets, ScalarType.Int64), train.Images.index_select(0, referenceIndex),
            tensor(references.Select(r => r >= 0 ? 1f : 0f).ToArray()));
    }

    /// <summary>The loss terms of one step and how many faces recognition got right.</summary>
    public sealed record StepResult(IReadOnlyDictionary<string, double> Terms, long Correct);

    /// <summary>
    /// One optimisation step on a batch. Public so that tests can check gradients after it: on return, every
    /// parameter's .grad holds the gradient of this step.
    /// </summary>
    /// <param name="images">(B,1,H,W) in [-1,1], not yet augmented</param>
    /// <param name="labels">(B) class indices</param>
    /// <param name="given">the synthesis targets and paired references; null: targets drawn uniformly, no paired loss</param>
    public StepResult TrainStep(Tensor images, Tensor labels, bool synthesis, int epoch = 0, int batch = 0, SynthesisTargets? given = null)
    {
        using var scope = NewDisposeScope();
        var terms = new Dictionary<string, double>();
        double Record(string name, Tensor value)
        {
            double v = value.item<float>();
            if (!double.IsFinite(v)) throw new NonFiniteException($"epoch {epoch + 1}, batch {batch + 1}: loss term '{name}' is {v}");
            return terms[name] = v;
        }

        images = images.to(Device);
        labels = labels.to(Device);
        // A paired reference is moved exactly as its face is, so the two stay comparable pixel for pixel.
        var (xReal, xReference) = synthesis && given is not null
            ? augmenter.ApplyAlike(images, given.References.to(Device))                  // (B,1,H,W) twice
            : (augmenter.Apply(images), null);                                            // (B,1,H,W)
        // The networks read the (randomly erased) face; the losses that compare faces use the whole one.
        var xInput = augmenter.Erase(xReal);                                              // (B,1,H,W)
        Tensor? targetLabel = null, targetOneHot = null;
        if (synthesis)
        {
            // Drawn on the host generator (the run's one random stream, whatever the device), then moved.
            targetLabel = (given?.Targets ?? randint(0, Labels.Count, [labels.shape[0]], generator: dataRandom, dtype: ScalarType.Int64)).to(Device);   // (B)
            targetOneHot = one_hot(targetLabel, Labels.Count).to(ScalarType.Float32);                                  // (B,classes)
        }
        var output = Model.call(xInput, targetOneHot);

        // Phase 1: discriminator. Real faces toward "real" and their true expression; generated toward "fake".
        if (synthesis)
        {
            var xFake = output.Synthesized!.detach();
            discriminatorOptimizer!.zero_grad();
            var onReal = Discriminator!.call(xReal);
            var onFake = Discriminator.call(xFake);
            var adversarial = Losses.DiscriminatorAdversarial(Config.Adversarial, onReal.Realism, onFake.Realism);
            var classification = Losses.Classification(onReal.ClassLogits, labels);
            Record("d_adv", adversarial);
            Record("d_cls", classification);
            (adversarial + Config.Losses.Classification * classification).backward();
            CheckAndClip(Discriminator, "discriminator", epoch, batch);
            discriminatorOptimizer.step();
        }

        // Phase 2: recognition and generator.
        optimizer.zero_grad();
        (Tensor Buffer, Tensor Saved)[]? realStatistics = null;
        var ferLoss = Losses.Classification(output.FerLogits, labels, Config.LabelSmoothing, classWeights);
        Record("fer", ferLoss);
        var loss = Config.Losses.Fer * ferLoss;
        if (synthesis)
        {
            var xFake = output.Synthesized!;
            SetRequiresGrad(Discriminator!, false);   // D is only a judge here: no gradients for its weights
            var onFake = Discriminator!.call(xFake);
            var adversarial = Losses.GeneratorAdversarial(Config.Adversarial, onFake.Realism);
            var classification = Losses.Classification(onFake.ClassLogits, targetLabel!);
            var sourceOneHot = one_hot(labels, Labels.Count).to(ScalarType.Float32);
            // source → target → source. Generated faces must not move the batch-norm statistics, which evaluation
            // uses on real faces only: they are put back once backward no longer needs the saved tensors.
            realStatistics = SnapshotRunningStatistics(Model);
            long cycled = CycleCount(labels.shape[0]);
            var xReconstructed = Model.call(xFake.narrow(0, 0, cycled), sourceOneHot.narrow(0, 0, cycled)).Synthesized!;
            var cycle = l1_loss(xReconstructed, xReal.narrow(0, 0, cycled));
            var identity = Losses.MaskedL1(xFake, xReal, targetLabel!.eq(labels).to(ScalarType.Float32));
            SetRequiresGrad(Discriminator, true);
            var w = Config.Losses.Resolved();
            var generator = w.Adversarial * adversarial + w.Classification * classification + w.Cycle * cycle + w.Identity * identity;
            Record("g_adv", adversarial);
            Record("g_cls", classification);
            Record("cycle", cycle);
            Record("identity", identity);
            if (w.RecognitionOfSynthesis > 0)
            {
                var recognised = Losses.Classification(JudgedByRecognition(xFake), targetLabel);
                generator += w.RecognitionOfSynthesis * recognised;
                Record("g_fer", recognised);
            }
            if (judge is not null)
            {
                var judged = judge.Loss(xFake, targetLabel);
                generator += w.Judge * judged;
                Record("g_judge", judged);
            }
            if (xReference is not null)
            {
                var paired = Losses.MaskedL1(xFake, xReference, given!.HasReference);
                generator += w.Paired!.Value * paired;
                Record("paired", paired);
                if (w.PairedStructure > 0)
                {
                    var structure = Losses.MaskedStructuralDissimilarity(xFake, xReference, given.HasReference);
                    generator += w.PairedStructure * structure;
                    Record("paired_ssim", structure);
                }
            }
            if (output.AttentionMask is { } mask)                                          // (B,1,H,W)
            {
                var sparsity = Losses.MaskSparsity(mask);
                var smoothness = Losses.MaskSmoothness(mask);
                generator += w.MaskSparsity!.Value * sparsity + w.MaskSmoothness!.Value * smoothness;
                Record("mask", sparsity);
                Record("mask_tv", smoothness);
            }
            loss += w.Synthesis * generator;
        }
        loss.backward();
        if (realStatistics is not null) RestoreRunningStatistics(realStatistics);
        CheckAndClip(Model, "model", epoch, batch);
        optimizer.step();
        average?.Update();

        // Phase 3: logging.
        long correctCount = output.FerLogits.argmax(1).eq(labels).sum().item<long>();
        return new StepResult(terms, correctCount);
    }

    /// <summary>
    /// (B,classes) the recognition branch's logits for generated faces, the branch only a judge: eval mode (running
    /// statistics of real faces, no dropout) and frozen weights, so the gradient reaches the generator through the faces
    /// alone and recognition never learns from generated faces (a judge trained on them learns to read whatever code
    /// the generator writes: measured, vertical stripes that no independent classifier reads as the expression).
    /// </summary>
    private Tensor JudgedByRecognition(Tensor xFake)
    {
        Model.eval();
        SetRequiresGrad(Model, false);
        try
        {
            return Model.call(xFake, null).FerLogits;
        }
        finally
        {
            SetRequiresGrad(Model, true);
            Model.train();
        }
    }

    /// <summary>Images of a batch that get the cycle reconstruction: a share of it, at least two (batch norm).</summary>
    private long CycleCount(long batch) =>
        Config.CycleShare is { } share ? Math.Clamp((long)Math.Round(share * batch), Math.Min(2, batch), batch) : batch;

    /// <summary>Copies of every batch-norm buffer (running mean and variance, batch count), beside the buffers themselves.</summary>
    private static (Tensor Buffer, Tensor Saved)[] SnapshotRunningStatistics(nn.Module module) =>
        module.buffers().Select(b => (b, b.clone())).ToArray();

    private static void RestoreRunningStatistics((Tensor Buffer, Tensor Saved)[] statistics)
    {
        using var _ = no_grad();
        foreach (var (buffer, saved) in statistics) buffer.copy_(saved);
    }

    private static void SetRequiresGrad(nn.Module module, bool requiresGrad)
    {
        foreach (var parameter in module.parameters()) parameter.requires_grad = requiresGrad;
    }

    /// <summary>Clips the global gradient norm; a non-finite norm stops training, naming the first bad parameter.</summary>
    private void CheckAndClip(nn.Module module, string what, int epoch, int batch)
    {
        double norm = nn.utils.clip_grad_norm_(module.parameters(), Config.GradientClip);
        if (double.IsFinite(norm)) return;
        string first = module.named_parameters().FirstOrDefault(p => p.parameter.grad is { } g && !g.isfinite().all().item<bool>()).name ?? "(unknown)";
        throw new NonFiniteException($"epoch {epoch + 1}, batch {batch + 1}: non-finite gradient in the {what}, first at '{first}'");
    }

    private void CheckBuffers(int epoch)
    {
        foreach (var module in new nn.Module?[] { Model, average?.Model, Discriminator })
            if (module is not null)
                foreach (var (name, buffer) in module.named_buffers())
                    if (buffer.is_floating_point() && !buffer.isfinite().all().item<bool>())
                        throw new NonFiniteException($"epoch {epoch + 1}: buffer '{name}' holds non-finite values");
    }

    /// <summary>
    /// Writes a checkpoint; <paramref name="includeTrainingState"/> false keeps only what inference needs, and then the
    /// model is the one validation scores (the weight average, when the run keeps one).
    /// </summary>
    public void SaveCheckpoint(string path, bool includeTrainingState = true) => SaveCheckpoint(path, includeTrainingState, bestWeightsBeside: false);

    /// <param name="bestWeightsBeside">The best epoch's weights are in the best.ckpt beside <paramref name="path"/>, not a
    /// second copy inside (a width-32 FER2013 state: 17.8 MB rather than 23.8 MB).</param>
    private void SaveCheckpoint(string path, bool includeTrainingState, bool bestWeightsBeside)
    {
        var sections = new Dictionary<string, byte[]> { ["model"] = ModelState.Of(includeTrainingState ? Model : EvaluatedModel) };
        if (includeTrainingState)
        {
            if (average is not null)
            {
                sections["model_average"] = ModelState.Of(average.Model);
                sections["model_average_updates"] = BitConverter.GetBytes(average.Updates);
            }
            sections["optimizer"] = ModelState.Of(optimizer);
            if (Discriminator is not null)
            {
                sections["discriminator"] = ModelState.Of(Discriminator);
                sections["discriminator_optimizer"] = ModelState.Of(discriminatorOptimizer!);
            }
            using (var state = dataRandom.get_state()) sections["rng_data"] = ModelState.Of(state);
            using (var state = random.get_rng_state()) sections["rng_global"] = ModelState.Of(state);
            if (BestModelState is not null && !bestWeightsBeside) sections["best_model"] = BestModelState;
        }
        var header = new CheckpointHeader(Model.Config, Config, Data, Labels.Classes, CompletedEpochs, BestMetric, BestEpoch, History.ToArray(), DateTime.UtcNow);
        Checkpoint.Save(path, header, sections);
    }

    public void Dispose()
    {
        Model.Dispose();
        average?.Dispose();
        Discriminator?.Dispose();
        optimizer.Dispose();
        discriminatorOptimizer?.Dispose();
        classWeights?.Dispose();
        judge?.Dispose();
    }
}
