"""Built-in models: the lesson's CNN and a LeNet-like net, by name.

``build_model(name, in_channels=1, image_size=28, num_classes=10)`` returns a fresh
``nn.Sequential`` (initialised from the generator ``ac.manual_seed`` seeds). Both models
are flat ``Sequential``s, so their state-dict keys (``0.weight``, ``1.running_mean``, ...)
are those of the same ``torch.nn.Sequential`` in PyTorch and weights move between the two.

``"seed"`` — the network of lesson 2.1, one block per idea of the lesson::

    0 Conv2d(in, 8, 3, padding=1)   filters → feature maps      (N, 8,  s,    s)
    1 BatchNorm2d(8)                normalise each channel
    2 ReLU()                        nonlinearity
    3 MaxPool2d(2)                  keep the strongest response (N, 8,  s/2,  s/2)
    4 Conv2d(8, 16, 3, padding=1)   filters over feature maps   (N, 16, s/2,  s/2)
    5 BatchNorm2d(16)
    6 ReLU()
    7 MaxPool2d(2)                                              (N, 16, s/4,  s/4)
    8 Flatten()                                                 (N, 16·⌊⌊s/2⌋/2⌋²)
    9 Linear(16·⌊⌊s/2⌋/2⌋², num_classes)   fully connected → class scores

  Widths 8 and 16: enough filters to learn edge and stroke detectors on small grey images
  (digits), few enough that a training step on a CPU takes milliseconds and a graph picture
  stays readable. Padding 1 keeps each conv's output the size of its input, so only the
  pools shrink the image; it works for images from 4×4 up (the lesson's 6×6 example gives
  6 → 3 → 1, so the linear layer has 16 inputs; 28×28 gives 28 → 14 → 7 and 784).

``"lenet"`` — issue 3's LeNet-like net (the benchmark's model): the same without batch
norm: conv 1→8 3×3 pad 1, ReLU, max pool 2, conv 8→16 3×3 pad 1, ReLU, max pool 2,
flatten, linear 16·7·7 = 784 → 10 for 28×28 images.
"""

from __future__ import annotations

from collections.abc import Callable

from autocnn import nn
from autocnn.nn._checks import positive_int

#: the smallest image side the two pooling stages can handle (4 → 2 → 1)
MIN_IMAGE_SIZE = 4


def _pooled_size(image_size: int) -> int:
    return (image_size // 2) // 2


def seed_cnn(in_channels: int = 1, image_size: int = 28, num_classes: int = 10
             ) -> nn.Sequential:
    """The lesson's CNN: (conv 3×3 → batch norm → ReLU → max pool 2) × 2 → flatten → linear."""
    side = _pooled_size(image_size)
    return nn.Sequential(
        nn.Conv2d(in_channels, 8, kernel_size=3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, kernel_size=3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * side * side, num_classes),
    )


def lenet(in_channels: int = 1, image_size: int = 28, num_classes: int = 10) -> nn.Sequential:
    """LeNet-like: (conv 3×3 pad 1 → ReLU → max pool 2) × 2 with 8 and 16 filters → linear."""
    side = _pooled_size(image_size)
    return nn.Sequential(
        nn.Conv2d(in_channels, 8, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * side * side, num_classes),
    )


#: name → builder(in_channels, image_size, num_classes)
MODELS: dict[str, Callable[[int, int, int], nn.Sequential]] = {
    "seed": seed_cnn,
    "lenet": lenet,
}


def build_model(name: str, in_channels: int = 1, image_size: int = 28,
                num_classes: int = 10) -> nn.Sequential:
    """A fresh model from ``MODELS`` for square images of side ``image_size``.

    Unknown names raise ``ValueError`` listing the valid ones; sizes are checked here so a
    too-small image fails now, not in the middle of a forward pass.
    """
    if name not in MODELS:
        raise ValueError(
            f"build_model: unknown model {name!r}; valid names are "
            + ", ".join(repr(n) for n in MODELS)
        )
    in_channels = positive_int(in_channels, "build_model", "in_channels")
    image_size = positive_int(image_size, "build_model", "image_size")
    num_classes = positive_int(num_classes, "build_model", "num_classes")
    if image_size < MIN_IMAGE_SIZE:
        raise ValueError(
            f"build_model: model {name!r} needs images of at least {MIN_IMAGE_SIZE}×"
            f"{MIN_IMAGE_SIZE} (two 2×2 poolings), got image_size={image_size}"
        )
    return MODELS[name](in_channels, image_size, num_classes)
