"""The served forward pass: the same network, computed in fewer, cache-sized steps.

``Network.forward_plain`` runs each layer's own ``forward``, one whole batch per layer:
the readable version, and the oracle every figure of training is measured with. For a
served answer a :class:`FastPass`, made once per network (``Network.forward_fast``),
computes the same function faster (equal to the plain pass up to float32 rounding;
``tests/model/test_inference.py`` and ``tests/model/test_winograd.py`` hold it to that):

- A convolution block ``Conv2D -> MaxPool2D(2) -> BatchNorm -> ReLU`` runs as one step.
  Max pooling commutes with adding a per-channel constant, so the convolution's bias is
  added after pooling, to a quarter of the values; at inference batch norm is a fixed
  per-channel affine map, ``x * scale + shift``, folded with that bias into one multiply
  and one add, and ReLU is applied in place.
- A block with enough input channels (``model.winograd.MIN_CHANNELS``) computes the four
  positions of every pooling window by Winograd's F(2x2, kxk) (``model.winograd``): 36
  products instead of 100 for a 5x5 kernel, the shipped CNN's second convolution in 0.7
  of the time. A first layer, with one channel, keeps direct products (below): there the
  transforms cost more than they save.
- The patches of a direct convolution are laid out so that pooling needs no strided access:
  rows are ordered (window row, window column, image, pooled row, pooled column), so the
  product's four quarters are the four positions of every 2x2 window, and pooling is
  three element-wise maxima of contiguous blocks. A one-channel block copies its patches
  by kernel offset (``model.conv.offset_patches``): 8.6 against 28 us for one image.
- Images go through the convolution blocks a few at a time (``IMAGES_PER_STEP``), so the
  arrays of a step (a Winograd block's tiles, their transforms and products: 900 KB per
  image for the shipped CNN's second convolution; a direct block's patches, 627 KB) stay
  in the cache instead of a batch of 64 streaming tens of MB through memory. The buffers
  are made once per thread and refilled on every step and every later call, so a request
  allocates none of them (3.6 MB a thread for the shipped CNN, steps of one and two
  images; a thread's buffers go with it). Nothing is kept on the layers, and each thread
  has its own buffers: one network serves concurrent requests.
- Every other layer runs its own inference ``forward``; ``Dropout`` is skipped (the
  identity at inference) and a ``Dense`` followed by ``ReLU`` rectifies in place.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from model.conv import Conv2D, by_offset
from model.layers import Array, Dense, Dropout, Layer, ReLU, strided_view
from model.normalization import BatchNorm
from model.pooling import MaxPool2D
from model.winograd import MIN_CHANNELS, Winograd

#: images per step of the convolution blocks: their arrays stay in a core's cache
#: (a batch of 64 through the shipped CNN, measured: 2 against 4 takes 0.87x the time with
#: OpenBLAS's AVX-512 kernels, as in the container, 1.05x with its AVX2 ones; a core's L2
#: cache is 1 MB on the machine measured)
IMAGES_PER_STEP = 2
#: the pooling window a fused block handles (the shipped CNN's)
POOL = 2


@dataclass(frozen=True)
class ConvBlock:
    """``Conv2D -> MaxPool2D(2) -> BatchNorm -> ReLU`` as one affine-then-clip step."""

    conv: Conv2D
    scale: Array  # (F,): gamma / sqrt(running_var + eps)
    shift: Array  # (F,): beta - running_mean * scale + bias * scale
    winograd: Winograd | None  # the filters transformed, where that takes fewer products

    @classmethod
    def of(cls, conv: Conv2D, norm: BatchNorm, winograd: bool = True) -> ConvBlock:
        state, params = norm.state, norm.params
        inv_std = 1.0 / np.sqrt(state["running_var"] + np.float32(norm.eps))
        scale = (params["gamma"] * inv_std).astype(np.float32)
        shift = params["beta"] - state["running_mean"] * scale + conv.params["b"] * scale
        fewer = winograd and conv.in_channels >= MIN_CHANNELS and Winograd.fits(conv.kernel)
        transformed = Winograd.of(conv.params["W"]) if fewer else None
        return cls(conv, scale, shift.astype(np.float32), transformed)

    def output_shape(self, h: int, w: int) -> tuple[int, int, int]:
        return h // POOL, w // POOL, self.conv.filters

    def run(self, x: Array, out: Array, buffers: Buffers) -> None:
        """``x`` ``(n, H, W, C)`` -> ``out`` ``(n, H/2, W/2, F)``, through ``buffers``."""
        conv, n = self.conv, len(x)
        k, p, f = conv.kernel, conv.padding, conv.filters
        _, h, w, c = x.shape
        padded = _buffer(buffers, "padded", (n, h + 2 * p, w + 2 * p, c), zeroed=True)
        padded[:, p : p + h, p : p + w, :] = x  # the border stays zero from the first fill
        ph, pw = h // POOL, w // POOL
        products = _buffer(buffers, "products", (POOL * POOL, n * ph * pw, f))
        if self.winograd is not None:
            scratch = functools.partial(_buffer, buffers)
            self.winograd.window_products(padded, ph, pw, products, scratch)
        else:
            cols = _window_patches(padded, k, ph, pw, buffers)
            np.matmul(cols, conv.params["W"].reshape(-1, f), out=products.reshape(-1, f))
        pooled = out.reshape(n * ph * pw, f)
        np.maximum(products[0], products[1], out=pooled)
        for quarter in products[2:]:
            np.maximum(pooled, quarter, out=pooled)
        pooled *= self.scale
        pooled += self.shift
        np.maximum(pooled, 0, out=pooled)


#: one thread's scratch arrays, by name and shape (a batch's last step may hold fewer images)
Buffers = dict[tuple[str, tuple[int, ...]], Array]


def _buffer(buffers: Buffers, name: str, shape: tuple[int, ...], zeroed: bool = False) -> Array:
    """The named buffer of ``shape``, made on first use (``zeroed``: the padding's, whose
    border no step writes, so it stays zero)."""
    found = buffers.get((name, shape))
    if found is None:
        found = buffers[name, shape] = (np.zeros if zeroed else np.empty)(shape, np.float32)
    return found


def _window_patches(padded: Array, k: int, ph: int, pw: int, buffers: Buffers) -> Array:
    """The ``k x k`` patches of ``padded``, ``(4 * n * ph * pw, k*k*C)``, rows in pooling order.

    Row ``(dy, dx, image, i, j)`` holds the patch at output position ``(2i+dy, 2j+dx)``:
    a strided view of shape ``(2, 2, n, ph, pw, k, k, C)``, copied once. With one channel
    (``model.conv.by_offset``) the copy is made by kernel offset instead, ``pw`` values at
    a time rather than ``k``, and the matrix returned is its transpose (a view).
    """
    n, _, _, c = padded.shape
    sn, sh, sw, sc = padded.strides
    windows = (POOL, POOL, n, ph, pw)
    steps = (sh, sw, sn, POOL * sh, POOL * sw)
    offsets = by_offset(c)
    if offsets:  # (k, k, C, 2, 2, n, ph, pw)
        cols = _buffer(buffers, "offsets", (k * k * c, POOL * POOL * n * ph * pw))
        shape, strides = (k, k, c, *windows), (sh, sw, sc, *steps)
    else:
        cols = _buffer(buffers, "cols", (POOL * POOL * n * ph * pw, k * k * c))
        shape, strides = (*windows, k, k, c), (*steps, sh, sw, sc)
    cols.reshape(shape)[...] = strided_view(padded, shape, strides)
    return cols.T if offsets else cols


def fusable(layers: Sequence[Layer], at: int) -> bool:
    """Whether ``layers[at:at+4]`` is a block :class:`ConvBlock` computes exactly."""
    block = layers[at : at + 4]
    if len(block) < 4:
        return False
    conv, pool, norm, relu = block
    return (
        isinstance(conv, Conv2D)
        and conv.stride == 1
        and 2 * conv.padding == conv.kernel - 1  # "same" padding: pooling sees H x W
        and isinstance(pool, MaxPool2D)
        and pool.size == POOL
        and isinstance(norm, BatchNorm)
        and isinstance(relu, ReLU)
    )


def _blocks(layers: Sequence[Layer], winograd: bool) -> tuple[list[ConvBlock], int]:
    """The leading fusable convolution blocks and the index of the first other layer."""
    blocks, at = [], 0
    while fusable(layers, at):
        conv, norm = layers[at], layers[at + 2]
        assert isinstance(conv, Conv2D) and isinstance(norm, BatchNorm)
        blocks.append(ConvBlock.of(conv, norm, winograd))
        at += 4
    return blocks, at


def _convolve(blocks: list[ConvBlock], x: Array, buffers: list[Buffers]) -> Array:
    """The convolution blocks, ``IMAGES_PER_STEP`` images at a time, through each block's
    ``buffers``."""
    n, h, w, _ = x.shape
    shapes = []
    for block in blocks:
        h, w, c = block.output_shape(h, w)
        shapes.append((h, w, c))
    result = np.empty((n, *shapes[-1]), dtype=np.float32)
    for start in range(0, n, IMAGES_PER_STEP):
        step = x[start : start + IMAGES_PER_STEP]
        for index, block in enumerate(blocks):
            last = index == len(blocks) - 1
            out = result[start : start + len(step)]
            if not last:
                out = _buffer(buffers[index], "out", (len(step), *shapes[index]))
            block.run(step, out, buffers[index])
            step = out
    return result


@dataclass(frozen=True)
class FastPass:
    """The served pass of a list of layers, its constants (folded batch norms, transformed
    filters) made once: equal to running each layer's inference ``forward`` in turn."""

    blocks: list[ConvBlock]
    rest: Sequence[Layer]
    #: each thread's buffers for the blocks, kept between calls
    scratch: threading.local = field(default_factory=threading.local, compare=False, repr=False)

    @classmethod
    def of(cls, layers: Sequence[Layer], winograd: bool = True) -> FastPass:
        """``winograd=False`` keeps every block on direct products (the earlier pass)."""
        blocks, at = _blocks(layers, winograd)
        return cls(blocks, layers[at:])

    def _buffers(self) -> list[Buffers]:
        """This thread's buffers, one set per block, made on its first call."""
        kept = getattr(self.scratch, "buffers", None)
        if kept is None:
            kept = self.scratch.buffers = [{} for _ in self.blocks]
        return kept

    def __call__(self, x: Array) -> Array:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if self.blocks:
            x = _convolve(self.blocks, x, self._buffers())
        rest = self.rest
        for index, layer in enumerate(rest):
            if isinstance(layer, Dropout):
                continue  # the identity at inference
            if isinstance(layer, ReLU) and index and isinstance(rest[index - 1], Dense):
                np.maximum(x, 0, out=x)  # the dense layer's fresh output, rectified in place
                continue
            x = layer.forward(x, False)
        return x
