"""Training progress for the terminal: a tqdm bar per epoch, or one line per epoch.

tqdm comes with the ``train`` extra; without it (or with ``--quiet``) the loop
prints a plain line after each epoch instead.
"""

from __future__ import annotations

import sys
from typing import Any

from model.training import Progress


def format_record(record: dict[str, float]) -> str:
    return (
        f"epoch {int(record['epoch'])}: loss {record['loss']:.4f} acc {record['accuracy']:.4f} "
        f"val_loss {record['val_loss']:.4f} val_acc {record['val_accuracy']:.4f} "
        f"lr {record['lr']:.4g} {record['images_per_s']:.0f} img/s {record['seconds']:.1f}s"
    )


class LineProgress(Progress):
    def end_epoch(self, record: dict[str, float]) -> None:
        print(format_record(record), file=sys.stderr, flush=True)


class BarProgress(Progress):
    """One tqdm bar per epoch with running loss, accuracy and images/s."""

    def __init__(self) -> None:
        try:
            from tqdm import tqdm
        except ImportError:  # the train extra is not installed
            self._tqdm: Any = None
        else:
            self._tqdm = tqdm
        self._bar: Any = None

    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
        if self._tqdm is not None:
            self._bar = self._tqdm(
                total=steps, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", leave=True
            )

    def step(self, loss: float, accuracy: float, images_per_s: float) -> None:
        if self._bar is not None:
            self._bar.update(1)
            if self._bar.n % 20 == 0:
                self._bar.set_postfix(
                    loss=f"{loss:.4f}", acc=f"{accuracy:.4f}", img_s=f"{images_per_s:.0f}"
                )

    def end_epoch(self, record: dict[str, float]) -> None:
        if self._bar is None:
            print(format_record(record), file=sys.stderr, flush=True)
            return
        self._bar.set_postfix(
            loss=f"{record['loss']:.4f}",
            acc=f"{record['accuracy']:.4f}",
            val_acc=f"{record['val_accuracy']:.4f}",
            img_s=f"{record['images_per_s']:.0f}",
        )
        self._bar.close()
        self._bar = None
