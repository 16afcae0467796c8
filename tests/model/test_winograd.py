"""Winograd's F(2x2, kxk) computes what the direct convolution computes.

The oracle is the definition: a 1-D correlation by ``np.correlate`` for the transform
matrices (exact in float64), and the served pass's direct products (im2col, one matrix
product) for a whole block, on random filters and inputs of odd sizes.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import inference
from model.conv import Conv2D
from model.normalization import BatchNorm
from model.winograd import MIN_CHANNELS, POINTS, Winograd, toom_cook


@pytest.mark.parametrize("kernel", [3, 5, 7, 9])
def test_toom_cook_matrices_compute_a_correlation(kernel: int) -> None:
    """``A^T [(G g) * (B^T d)]`` over ``k + 1`` inputs is their correlation with ``g``."""
    rng = np.random.default_rng(kernel)
    outputs, taps, inputs = toom_cook(kernel)
    assert outputs.shape == (2, kernel + 1) and taps.shape == (kernel + 1, kernel)
    for _ in range(5):
        d, g = rng.normal(size=kernel + 1), rng.normal(size=kernel)
        expected = np.correlate(d, g, mode="valid")  # y_i = sum_j d[i + j] g[j]
        np.testing.assert_allclose(outputs @ ((taps @ g) * (inputs @ d)), expected, atol=1e-9)


def test_which_kernels_it_takes() -> None:
    assert [k for k in range(1, 12) if Winograd.fits(k)] == [3, 5, 7, 9]
    assert len(POINTS) == 9
    with pytest.raises(ValueError, match="interpolation points"):
        toom_cook(11)


@pytest.mark.parametrize(
    ("kernel", "size"), [(3, (10, 12)), (5, (14, 14)), (5, (9, 11)), (7, (8, 10))]
)
def test_window_products_equal_the_direct_ones(kernel: int, size: tuple[int, int]) -> None:
    """All four positions of every pooling window, odd sizes dropping a row and a column."""
    rng = np.random.default_rng(kernel + size[1])
    channels, filters, n = MIN_CHANNELS, 24, 3
    conv = Conv2D(channels, filters, kernel, padding=kernel // 2, rng=rng)
    norm = BatchNorm(filters)
    direct = inference.ConvBlock.of(conv, norm, winograd=False)
    fewer = inference.ConvBlock.of(conv, norm, winograd=True)
    assert direct.winograd is None and fewer.winograd is not None
    x = rng.normal(size=(n, *size, channels)).astype(np.float32)
    ph, pw = size[0] // 2, size[1] // 2
    expected, got = (np.empty((n, ph, pw, filters), np.float32) for _ in range(2))
    direct.run(x, expected, {})
    fewer.run(x, got, {})
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-5 * scale)
    buffers: dict[str, np.ndarray] = {}
    for _ in range(2):  # scratch arrays reused by a second step give the same answer
        fewer.run(x, got, buffers)
        np.testing.assert_allclose(got, expected, rtol=0, atol=2e-5 * scale)


def test_few_channels_stay_on_direct_products() -> None:
    rng = np.random.default_rng(3)
    conv = Conv2D(MIN_CHANNELS - 1, 8, 5, padding=2, rng=rng)
    assert inference.ConvBlock.of(conv, BatchNorm(8)).winograd is None
