"""benchmarks/peer_load.py: the comparison's arithmetic, and the peer's network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks import peer_load
from model.weights import load

ROOT = Path(__file__).resolve().parents[2]


def figures(rps: float, p99: float) -> dict[str, float]:
    return {"rps": rps, "p99_ms": p99, "errors": 0.0}


def test_the_ratio_is_the_median_of_the_rounds_and_both_targets_are_judged() -> None:
    digits = [figures(300, 40), figures(150, 90), figures(320, 45)]
    peer = [figures(200, 60), figures(200, 50), figures(160, 70)]
    lines = peer_load.report(digits, peer)
    assert lines[0].endswith("1.50x") and lines[1].endswith("0.75x") and lines[2].endswith("2.00x")
    assert "1.50x (median of 3 alternating rounds); p99 45.0 against 60.0 ms" in lines[3]
    assert lines[4].endswith("met") and lines[5].endswith("met")


def test_a_slower_digits_misses_both_targets() -> None:
    lines = peer_load.report([figures(100, 80)], [figures(100, 50)])
    assert "1.00x" in lines[1]
    assert lines[-2].endswith("MISSED") and lines[-1].endswith("MISSED")


def test_the_peer_runs_the_shipped_network_with_its_own_preprocessing() -> None:
    """The PyTorch copy gives the NumPy network's answer on a drawn canvas."""
    torch = pytest.importorskip("torch")
    from benchmarks import torch_peer
    from benchmarks.http_load import canvas_png

    x = torch_peer.preprocess(canvas_png())
    network, _ = load(ROOT / "weights" / "cnn.json")
    expected = network.forward_plain(x.numpy().reshape(1, 28, 28, 1))
    with torch.inference_mode():
        answer = torch_peer.MODEL(x).numpy()
    np.testing.assert_allclose(answer, expected, rtol=1e-4, atol=1e-3)
    assert int(answer.argmax()) == 7  # the benchmark's canvas is a 7
