using System.Text.Json;
using System.Text.Json.Serialization;
using Fersnet.Models;
using Fersnet.Synthesis;
using Fersnet.Training;
using Fersnet.Evaluation;
using Fersnet.Lab.Reporting;
using Fersnet.Serialization;

namespace Fersnet.Lab.Experiments;

/// <summary>
/// A second stage after a trained FERSNet: recognition fine-tuned from its selected weights. With synthetic faces it is
/// the paper's last step (its "+ synthetic data" row): the real training faces plus every one of them re-drawn by the
/// network's synthesis branch with each other expression (<see cref="SyntheticFaces.Enlarge"/>), which also
/// balances the classes. Without, it is that step's control: the same fine-tuning on the real faces alone, for as many
/// optimiser steps, which tells what the synthetic faces add beyond more training at a low learning rate.
/// </summary>
/// <param name="Epochs">Epochs over the enlarged set (the real-only control runs as many steps: classes times more epochs).</param>
/// <param name="LearningRateScale">Peak learning rate as a share of the first stage's (cosine decay again).</param>
/// <param name="SyntheticFaces">Whether the synthetic faces are added; implied by the variant's name, so not part of its fingerprint.</param>
public sealed record FineTune(int Epochs = 5, double LearningRateScale = 0.25, [property: JsonIgnore] bool SyntheticFaces = true)
{
    /// <summary>The stage's budget: recognition only (the synthesis losses never start), from <paramref name="weights"/>
    /// (null: the budget alone, as the report describes it).</summary>
    /// <param name="classes">Classes of the data: the enlarged set is this many times the real one.</param>
    public TrainConfig For(TrainConfig firstStage, int classes, string? weights = null)
    {
        int epochs = SyntheticFaces ? Epochs : Epochs * classes;
        return firstStage with
        {
            Epochs = epochs,
            LearningRate = firstStage.LearningRate * LearningRateScale,
            SynthesisWarmupEpochs = epochs,
            InitFrom = weights,
        };
    }

    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException("the fine-tuning needs at least one epoch");
        if (LearningRateScale <= 0) throw new ArgumentException("the fine-tuning's learning-rate scale must be positive");
    }
}

/// <summary>One arm of an ablation: a model kind and how its training differs from the shared budget.</summary>
/// <param name="FineTune">Set for a variant that fine-tunes its trained network in a second stage.</param>
public sealed record Variant(string Name, ModelKind Kind, Func<TrainConfig, TrainConfig> Adjust, FineTune? FineTune = null)
{
    public static Variant Parse(string name, FineTune? fineTune = null) => name.Trim().ToLowerInvariant() switch
    {
        "single" => new Variant("single", ModelKind.Single, c => c),
        "hard" => new Variant("hard", ModelKind.Hard, c => c),
        "fersnet" => new Variant("fersnet", ModelKind.Fersnet, c => c),
        "fersnet+synth" => new Variant("fersnet+synth", ModelKind.Fersnet, c => c, (fineTune ?? new FineTune()) with { SyntheticFaces = true }),
        "fersnet+tune" => new Variant("fersnet+tune", ModelKind.Fersnet, c => c, (fineTune ?? new FineTune()) with { SyntheticFaces = false }),
        _ => throw new ArgumentException($"unknown variant '{name}' (known: single, hard, fersnet, fersnet+synth, fersnet+tune)"),
    };

    /// <summary>The variant whose training comes first: itself, or for a fine-tuned one the plain variant before the '+'
    /// (whose fold trainings it reuses when the same experiment has just run them).</summary>
    public Variant FirstStage => FineTune is null ? this : this with { Name = Name[..Name.IndexOf('+')], FineTune = null };

    /// <summary>What sets this variant's results apart within an experiment: its name, and its fine-tuning budget if any.</summary>
    public string Key => FineTune is null ? Name : $"{Name}|{JsonSerializer.Serialize(FineTune, FersnetJson.Options)}";
}
