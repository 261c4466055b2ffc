using Microsoft.ML;

namespace ModelBuilderStyle;

public static partial class MLModel
{
    /// <summary>
    /// Where <see cref="Predict"/> loads the model from; set it before the first prediction, since the model is
    /// loaded only once.
    /// </summary>
    public static string ModelPath { get; set; } = Path.GetFullPath("MLModel.zip");

    // PredictionEngine is not thread-safe: this single shared engine suits a console app calling Predict from one
    // thread. Concurrent callers (a web app) need one engine per thread or a pooled PredictionEnginePool.
    private static readonly Lazy<PredictionEngine<ModelInput, ModelOutput>> PredictEngine = new(CreatePredictEngine, true);

    /// <summary>Classifies one image.</summary>
    public static ModelOutput Predict(ModelInput input) => PredictEngine.Value.Predict(input);

    private static PredictionEngine<ModelInput, ModelOutput> CreatePredictEngine()
    {
        var ml = new MLContext();
        var model = ml.Model.Load(ModelPath, out _);
        return ml.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
    }
}
