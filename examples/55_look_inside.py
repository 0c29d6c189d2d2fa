"""Look inside a trained CNN: activations, saliency, Grad-CAM, where one output number and
one gradient entry come from, an adversarial example and a shape error explained.

Trains LeNet on scikit-learn's 8×8 digits for a few epochs, then calls each function of
``autocnn.explain`` once and writes the pictures to ``look-inside/`` (see
docs/look-inside.md for the whole story).
"""

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np

import autocnn as ac
from autocnn import explain, nn, optim
from autocnn import functional as F
from autocnn.data import load_digits
from autocnn.training import evaluate, fit, limit_blas_threads

if importlib.util.find_spec("sklearn") is None:
    print("this example needs scikit-learn: pip install \"autocnn[datasets]\"")
    sys.exit(0)

SMALL = os.environ.get("AUTOCNN_EXAMPLE_SMALL") == "1"
limit_blas_threads(1)
ac.manual_seed(0)
out = Path("look-inside")
out.mkdir(exist_ok=True)

train, test = load_digits()
model = ac.models.lenet(in_channels=1, image_size=8, num_classes=10)
fit(model, train, optim.Adam(model.parameters(), lr=0.005), epochs=2 if SMALL else 10,
    batch_size=32, progress=False)
model.eval()
print(f"LeNet on digits: test accuracy {evaluate(model, test)['accuracy']:.1%}")
image, label = test.images[0], int(test.labels[0])

# 1. every layer's output and the class score's gradient with respect to it
acts, grads = explain.activations(model, image), explain.activation_grads(model, image)
for path, a in acts.items():
    print(f"layer {path}: output {a.shape}, max |∂score/∂output| {np.abs(grads[path]).max():.3f}")

# 2. saliency and Grad-CAM, as arrays and as pictures
print("saliency map", explain.saliency(model, image).shape,
      "Grad-CAM of layer 3", explain.grad_cam(model, image, layer="3").shape)
explain.plot_activations(model, image, out / "activations.png", layer="1")
explain.plot_saliency(model, image, out / "saliency.png")
explain.plot_grad_cam(model, image, out / "grad_cam.png", layer="3")

# 3. one number of the second conv's output, written out
e = explain.explain_output(model, image, "3", (5, 2, 2))
print(e.formula, "| model:", e.value)
explain.plot_explain_output(model, image, out / "explain_output.png", "3", (5, 2, 2))

# 4. one entry of the first conv's weight gradient, as its chain-rule terms
loss = F.cross_entropy(model(ac.tensor(test.images[:4])), ac.tensor(test.labels[:4]))
loss.backward(retain_graph=True)
g = explain.explain_grad(loss, model[0].weight, (2, 0, 1, 1))
print(f"dL/dW[2, 0, 1, 1] = Σ of {len(g.terms)} terms such as {g.terms[9].grad_label} · "
      f"{g.terms[9].factor_label}: {g.sum:.6g} (engine: {g.grad:.6g})")

# 5. the smallest FGSM step that changes the prediction
r = explain.fgsm(model, image, label)
print(f"FGSM: {r.original_prediction} → {r.prediction} with ε = {r.epsilon:.3f} "
      f"(L2 {r.l2:.3f}, {r.steps} tries)")

# 6. a model that does not fit its input
print(explain.shapes(nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(50, 10)),
                     (1, 8, 8)))
print(f"pictures in {out}/")
