"""Evaluation plots as PNG files: training curves, confusion matrix, mistakes.

Uses matplotlib (the ``train`` extra) with the non-interactive Agg backend, so it
works on a server without a display.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from model.evaluation import Evaluation


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_training_curves(history: list[dict[str, float]], path: Path) -> Path:
    plt = _pyplot()
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    ax_loss.plot(epochs, [h["loss"] for h in history], label="train (augmented)", marker=".")
    ax_loss.plot(epochs, [h["val_loss"] for h in history], label="validation", marker=".")
    ax_loss.set(title="Loss", xlabel="epoch", ylabel="cross-entropy")
    ax_acc.plot(epochs, [100 * h["accuracy"] for h in history], label="train", marker=".")
    ax_acc.plot(epochs, [100 * h["val_accuracy"] for h in history], label="validation", marker=".")
    ax_acc.set(title="Accuracy", xlabel="epoch", ylabel="%")
    ax_acc.set_ylim(max(80.0, min(100 * h["accuracy"] for h in history) - 1), 100)
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_confusion(confusion: list[list[int]], path: Path) -> Path:
    plt = _pyplot()
    matrix = np.asarray(confusion)
    fig, ax = plt.subplots(figsize=(7, 6))
    off_diagonal = matrix - np.diag(np.diag(matrix))
    image = ax.imshow(off_diagonal, cmap="Reds")
    for (i, j), count in np.ndenumerate(matrix):
        colour = "black" if i != j else "tab:green"
        ax.text(j, i, str(count), ha="center", va="center", fontsize=8, color=colour)
    ax.set(
        title="Confusion matrix (test set; colour = mistakes)",
        xlabel="predicted digit",
        ylabel="true digit",
        xticks=range(10),
        yticks=range(10),
    )
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_mistakes(
    images: np.ndarray, labels: np.ndarray, predicted: np.ndarray, path: Path, limit: int = 60
) -> Path:
    plt = _pyplot()
    wrong = np.flatnonzero(predicted != labels)[:limit]
    cols = 10
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.3), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, index in zip(axes.ravel(), wrong, strict=False):
        ax.imshow(images[index], cmap="gray_r")
        ax.set_title(f"{predicted[index]} / {labels[index]}", fontsize=9, color="tab:red")
    fig.suptitle(f"Misclassified test digits: predicted / true ({len(wrong)} shown)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(
    folder: Path, doc: dict[str, Any], result: Evaluation, images: np.ndarray, labels: np.ndarray
) -> list[Path]:
    """All plots for one weights file; returns the written paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    history = doc.get("training", {}).get("history") or []
    if history:
        paths.append(plot_training_curves(history, folder / "training_curves.png"))
    paths.append(plot_confusion(result.confusion, folder / "confusion_matrix.png"))
    paths.append(plot_mistakes(images, labels, result.predicted, folder / "misclassified.png"))
    return paths
