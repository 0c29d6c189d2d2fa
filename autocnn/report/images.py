"""Small pictures for the HTML pages: NumPy arrays as PNG ``data:`` URIs, no matplotlib.

A report holds dozens of tiny images (3×3 filters, 12×12 feature maps), so they are encoded
here at their own size — one pixel per entry — and the page scales them up with
``image-rendering: pixelated``. That keeps each image a few hundred bytes, draws each entry
as a crisp square a student can count, and keeps the page one offline file.

Colours: ``diverging`` maps a signed array onto blue (negative) – white (0) – red
(positive) on a scale centred on zero (so white always means 0); ``greys`` maps an image
from its minimum (black) to its maximum (white).
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np

# anchor colours of the diverging scale, from -1 to +1 (ColorBrewer RdBu, reversed)
_DIVERGING = np.array([
    [33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247],
    [253, 219, 199], [239, 138, 98], [178, 24, 43],
], dtype=np.float64)


def png_bytes(rgb: np.ndarray) -> bytes:
    """Encode an (H, W, 3) uint8 array as a PNG file (8-bit RGB, no interlace)."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(
            f"png_bytes: expected an (H, W, 3) uint8 array, got shape {rgb.shape} of "
            f"{rgb.dtype}"
        )
    h, w, _ = rgb.shape
    # each scanline starts with its filter type (0: none)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rgb.reshape(h, w * 3)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9)) + chunk(b"IEND", b""))


def data_uri(rgb: np.ndarray) -> str:
    """An (H, W, 3) uint8 array as a ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(rgb)).decode("ascii")


def diverging(values: np.ndarray, limit: float | None = None) -> np.ndarray:
    """Signed values as RGB: blue < 0, white = 0, red > 0, saturated at ±``limit``.

    ``limit`` defaults to the largest absolute value, so the strongest entry is saturated;
    pass one limit for several arrays to put them on one scale.
    """
    v = np.asarray(values, dtype=np.float64)
    if limit is None:
        limit = float(np.abs(v).max()) if v.size else 1.0
    limit = limit if limit > 0 and np.isfinite(limit) else 1.0
    t = (np.clip(np.nan_to_num(v / limit), -1.0, 1.0) + 1.0) / 2.0 * (len(_DIVERGING) - 1)
    lo = np.floor(t).astype(int).clip(0, len(_DIVERGING) - 2)
    frac = (t - lo)[..., None]
    rgb = _DIVERGING[lo] * (1 - frac) + _DIVERGING[lo + 1] * frac
    return rgb.round().astype(np.uint8)


def greys(values: np.ndarray) -> np.ndarray:
    """An image as RGB grey levels, its minimum black and its maximum white."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64))
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
    g = (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v)
    return np.repeat((g * 255).round().astype(np.uint8)[..., None], 3, axis=-1)


def image_rgb(image: np.ndarray) -> np.ndarray:
    """A (C, H, W) image as RGB: grey for one channel, the channels as colours for three."""
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim == 2:
        return greys(arr)
    if arr.ndim == 3 and arr.shape[0] == 3:
        lo, hi = float(arr.min()), float(arr.max())
        g = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
        return (g.transpose(1, 2, 0) * 255).round().astype(np.uint8)
    if arr.ndim == 3:
        return greys(arr[0])
    raise ValueError(f"image_rgb: expected a (C, H, W) or (H, W) image, got shape {arr.shape}")
