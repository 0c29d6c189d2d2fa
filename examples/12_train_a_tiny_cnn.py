"""Build a small CNN, look at it, make it memorise one batch, save it and load it back.

The network is the lesson's: convolution → batch norm → ReLU → max pooling, twice, then
flatten and a fully connected layer (``autocnn.models.build_model("seed")``). Training on a
single batch until the loss is near zero ("overfitting a batch") is the quickest check that
every gradient in the model is right: a wrong one would stall the loss. The model file is a
plain ``.npz`` archive, read back with pickling disabled.

Set AUTOCNN_EXAMPLE_SMALL=1 for a seconds-long run (the tests do).
"""

import os
import tempfile

import numpy as np

import autocnn as ac
import autocnn.functional as F
from autocnn import optim
from autocnn.models import build_model

SMALL = os.environ.get("AUTOCNN_EXAMPLE_SMALL") == "1"
IMAGE = 8 if SMALL else 28
BATCH, CLASSES = 16, 4
STEPS = 40 if SMALL else 100

ac.manual_seed(0)
model = build_model("seed", in_channels=1, image_size=IMAGE, num_classes=CLASSES)
print(model)
print()
print(model.summary())
print()

# A batch of random "images" with made-up labels: nothing to generalise, everything to learn.
x = ac.randn(BATCH, 1, IMAGE, IMAGE)
y = np.arange(BATCH) % CLASSES
opt = optim.Adam(model.parameters(), lr=0.02)
for step in range(1, STEPS + 1):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    if step == 1 or step % (STEPS // 4) == 0:
        print(f"step {step:3d}  loss {loss.item():.4f}")
print(f"loss fell from about log({CLASSES}) = {np.log(CLASSES):.3f} to {loss.item():.4f}")

model.eval()  # batch norm now uses its running statistics
with ac.no_grad():
    before = model(x).numpy()

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "tiny_cnn.npz")
    ac.save(model.state_dict(), path)
    print(f"\nsaved {len(model.state_dict())} arrays ({os.path.getsize(path):,} bytes):",
          ", ".join(list(model.state_dict())[:4]), "...")
    reloaded = build_model("seed", in_channels=1, image_size=IMAGE, num_classes=CLASSES)
    reloaded.load_state_dict(ac.load(path))
reloaded.eval()
with ac.no_grad():
    after = reloaded(x).numpy()
print("reloaded model gives identical outputs:", np.array_equal(before, after))
