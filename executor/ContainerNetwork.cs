namespace Csbuild.Executor;

/// <summary>The network a RUN step sees.</summary>
public enum ContainerNetwork
{
    /// <summary>A fresh network namespace with only the loopback interface.</summary>
    None,
    /// <summary>The host's network namespace.</summary>
    Host,
}
