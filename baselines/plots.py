"""The learning-curve figure written by ``python -m baselines show``."""

from __future__ import annotations

from pathlib import Path


def learning_curve(history: dict, path: Path, title: str = "") -> Path:
    """Plot training/validation loss and validation auROC per epoch to a PNG at `path`."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    epochs = range(1, len(history["loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    left.plot(epochs, history["loss"], label="training loss")
    left.plot(epochs, history["val_loss"], label="validation loss")
    right.plot(epochs, history["val_auroc"], color="tab:green", label="validation auROC")
    best = history.get("best_epoch")
    for axis in (left, right):
        if best:
            axis.axvline(best, color="grey", linestyle=":", label=f"kept epoch {best}")
        axis.set_xlabel("epoch")
        axis.legend(fontsize=8)
    left.set_ylabel("binary cross-entropy")
    right.set_ylabel("auROC")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
