namespace Microsoft.ML.Stn;

/// <summary>Optimiser used to train the network.</summary>
public enum StnOptimizer
{
    /// <summary>Adam (Kingma and Ba, 2015).</summary>
    Adam,
    /// <summary>Stochastic gradient descent with momentum (<see cref="StnClassifyOptions.Momentum"/>).</summary>
    Sgd,
}
