"""Built-in models: the lesson's CNN, a LeNet-like net, and the VGG- and ResNet-style
networks a course goes on to, by name; and the residual blocks they are made of.

``build_model(name, in_channels=1, image_size=28, num_classes=10)`` returns a fresh
``nn.Sequential`` (initialised from the generator ``ac.manual_seed`` seeds). The state-dict
keys (``0.weight``, ``1.running_mean``, ``3.0.conv1.weight``, ...) are those of the same
network in PyTorch (``BasicBlock``'s follow torchvision's), so weights move between the two
by name (``autocnn.interop`` converts whole models).

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

``"vgg_small"`` — VGG's idea at teaching size: three stages of two 3×3 conv → batch norm →
ReLU, each stage ending in a 2×2 max pool and doubling the width (16, 32, 64); then flatten
and linear (28×28: 28 → 14 → 7 → 3, so 64·3·3 = 576 inputs). Needs images of at least 8×8.

``"resnet_small"`` — a CIFAR-style ResNet (He et al. 2016, section 4.2) with one
``BasicBlock`` per stage: a 3×3 conv stem of 16 filters, three stages of widths 16, 32, 64
(the last two halve the image with a stride-2 first conv, and their shortcut is a 1×1
stride-2 conv with batch norm), global average pooling, and a linear layer. Each block
computes relu(body(x) + shortcut(x)): the identity path lets gradients reach the first
layers undiminished, which is why very deep ResNets train at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autocnn import nn
from autocnn.nn._checks import positive_int

#: the smallest image side the two pooling stages can handle (4 → 2 → 1)
MIN_IMAGE_SIZE = 4
#: the largest sizes build_model accepts: values read from a model.json or typed on the
#: command line are refused beyond them with a clear error, not a MemoryError
MAX_IMAGE_SIZE, MAX_CHANNELS, MAX_CLASSES = 1024, 1024, 100_000


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


class Residual(nn.Module):
    """A residual connection: ``forward(x) = x + body(x)``, for any shape-keeping ``body``.

    An ordinary Module (no backward of its own): the Add node sends dL/dy unchanged to x
    and through body, so the gradient has a path around every layer of the body.
    """

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        if not isinstance(body, nn.Module):
            raise TypeError(f"Residual: 'body' must be an nn.Module, got {type(body).__name__}")
        self.body = body

    def forward(self, x: Any) -> Any:
        """x + body(x)."""
        return x + self.body(x)


class BasicBlock(nn.Module):
    """ResNet's basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).

    Two 3×3 convolutions (padding 1; the first with ``stride``). The shortcut is the
    identity when the shapes agree; otherwise ``downsample``, a 1×1 convolution with the
    same stride followed by batch norm, projects x to the new width and size. Attribute
    names are torchvision's (``conv1``, ``bn1``, ``conv2``, ``bn2``, ``downsample``).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        in_channels = positive_int(in_channels, "BasicBlock", "in_channels")
        out_channels = positive_int(out_channels, "BasicBlock", "out_channels")
        stride = positive_int(stride, "BasicBlock", "stride")
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        else:
            self.downsample = None

    def forward(self, x: Any) -> Any:
        """relu(body(x) + shortcut(x))."""
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


def vgg_small(in_channels: int = 1, image_size: int = 28, num_classes: int = 10
              ) -> nn.Sequential:
    """VGG-style: 3 stages of (conv 3×3 → BN → ReLU) × 2 → max pool 2; widths 16, 32, 64."""
    layers: list[nn.Module] = []
    width_in, side = in_channels, image_size
    for width in (16, 32, 64):
        for _ in range(2):
            layers += [nn.Conv2d(width_in, width, 3, padding=1), nn.BatchNorm2d(width),
                       nn.ReLU()]
            width_in = width
        layers.append(nn.MaxPool2d(2))
        side //= 2
    layers += [nn.Flatten(), nn.Linear(64 * side * side, num_classes)]
    return nn.Sequential(*layers)


def resnet_small(in_channels: int = 1, image_size: int = 28, num_classes: int = 10
                 ) -> nn.Sequential:
    """CIFAR-style ResNet: stem conv 16 → 3 stages of one BasicBlock (16, 32↓2, 64↓2) →
    global average pool → linear. ``image_size`` is accepted for a uniform signature: the
    global pool makes the network work for any image size."""
    del image_size  # the adaptive pool removes any dependence on it
    return nn.Sequential(
        nn.Conv2d(in_channels, 16, 3, padding=1, bias=False),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.Sequential(BasicBlock(16, 16)),
        nn.Sequential(BasicBlock(16, 32, stride=2)),
        nn.Sequential(BasicBlock(32, 64, stride=2)),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, num_classes),
    )


#: name → builder(in_channels, image_size, num_classes)
MODELS: dict[str, Callable[[int, int, int], nn.Sequential]] = {
    "seed": seed_cnn,
    "lenet": lenet,
    "vgg_small": vgg_small,
    "resnet_small": resnet_small,
}

#: the smallest image side of each model (its poolings must leave at least one pixel)
MIN_IMAGE_SIZES = {"seed": MIN_IMAGE_SIZE, "lenet": MIN_IMAGE_SIZE, "vgg_small": 8,
                   "resnet_small": MIN_IMAGE_SIZE}


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
    for arg, value, largest in (("in_channels", in_channels, MAX_CHANNELS),
                                ("image_size", image_size, MAX_IMAGE_SIZE),
                                ("num_classes", num_classes, MAX_CLASSES)):
        if value > largest:
            raise ValueError(f"build_model: '{arg}' must be at most {largest:,}, got {value:,}")
    smallest = MIN_IMAGE_SIZES.get(name, MIN_IMAGE_SIZE)
    if image_size < smallest:
        pools = {8: "three 2×2 poolings"}.get(smallest, "two 2×2 poolings")
        raise ValueError(
            f"build_model: model {name!r} needs images of at least {smallest}×"
            f"{smallest} ({pools}), got image_size={image_size}"
        )
    return MODELS[name](in_channels, image_size, num_classes)
