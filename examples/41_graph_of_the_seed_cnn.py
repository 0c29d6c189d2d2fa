"""The graph of the seed CNN's loss: every primitive the engine recorded, grouped by layer.

Each layer of the lesson's network (conv → batch norm → ReLU → max pool, twice, then
flatten → linear) is a cluster labelled with its path and type (``0: Conv2d``); inside,
the primitives it is made of (a convolution is pad → unfold → matmul → add). A second
picture collapses every layer into one box, which is the view to use for big models.

Run:  python examples/41_graph_of_the_seed_cnn.py   (writes seed_cnn.svg, seed_cnn_layers.svg)
"""

import os
import re
from collections import Counter

import autocnn as ac
from autocnn import nn, viz
from autocnn.models import build_model

SMALL = os.environ.get("AUTOCNN_EXAMPLE_SMALL") == "1"
size = 6 if SMALL else 28

ac.manual_seed(0)
model = build_model("seed", image_size=size)
images = ac.randn(2, 1, size, size)
labels = ac.tensor([3, 7])
loss = nn.CrossEntropyLoss()(model(images), labels)
loss.name = "loss"

full = viz.to_dot(loss, dict(model.named_parameters()))
layers = viz.to_dot(loss, dict(model.named_parameters()), collapse=True, number_steps=True)

# What each layer is made of, read from the DOT text (cluster title -> its primitives).
made_of: dict[str, Counter] = {}
current = []
for line in full.source.splitlines():
    title = re.match(r"\s*label=<([^>]*)> labeljust", line)
    if title:
        current.append(title.group(1))
        made_of[title.group(1)] = Counter()
    elif line.strip() == "}" and current:
        current.pop()
    op = re.match(r"\s*op\d+ \[label=<<B>(?:\w+ = )?(\w+)</B>", line)
    if op and current:
        made_of[current[-1]][op.group(1)] += 1

print(f"seed CNN on {size}×{size} images: {len(made_of)} modules, "
      f"{full.source.count('[label=<')} boxes in the full graph")
for title, ops in sorted(made_of.items()):
    if ops:
        print(f"  {title:22s} " + ", ".join(f"{name}×{n}" for name, n in sorted(ops.items())))
print(f"collapsed view: {layers.source.count('[label=<')} boxes")
for path in (viz.save(full, "seed_cnn.svg"), viz.save(layers, "seed_cnn_layers.svg")):
    print(f"wrote {path}")
