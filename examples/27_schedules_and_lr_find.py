"""Learning-rate tools: the range test, three schedules, early stopping with keep="best".

1. ``lr_find`` raises the learning rate exponentially over 100 batches and suggests the
   rate where the loss falls fastest (``autocnn lr-find`` does the same from the shell).
2. The seed CNN is trained with that rate as a constant, along a half cosine per epoch,
   and with PyTorch's ``OneCycleLR`` (stepped every batch) peaking at three times it.
3. Early stopping: ``patience=2`` ends the run when the test loss has not improved for two
   epochs, and ``keep="best"`` puts back the weights of the best epoch.
"""

import os
import tempfile
from pathlib import Path

import autocnn as ac
from autocnn import optim
from autocnn.data import DataLoader, load_shapes
from autocnn.models import build_model
from autocnn.optim import lr_scheduler
from autocnn.training import evaluate, fit, limit_blas_threads
from autocnn.training.lr_find import lr_find

SMALL = os.environ.get("AUTOCNN_EXAMPLE_SMALL") == "1"
N_TRAIN, EPOCHS = (300, 2) if SMALL else (2000, 6)
limit_blas_threads(1)
train, test = load_shapes(n_train=N_TRAIN, n_test=500, image_size=12, noise=0.3)


def fresh():
    ac.manual_seed(0)
    model = build_model("seed", in_channels=1, image_size=12, num_classes=train.num_classes)
    return model, optim.Adam(model.parameters(), lr=1e-3)


model, opt = fresh()
found = lr_find(model, train, opt, num_iter=30 if SMALL else 100)
picture = found.plot(Path(tempfile.mkdtemp()) / "lr_find.png")
lr = found.suggestion if found.suggestion == found.suggestion else 0.005  # nan: no fall
print(f"range test: {len(found.lrs)} rates, suggested lr {lr:.2g} (picture: {picture})\n")

steps = len(DataLoader(train, batch_size=64))
print(f"{'schedule':<28}{'test accuracy':>14}")
for name in ("constant", "cosine per epoch", "OneCycleLR per batch"):
    model, opt = fresh()
    for group in opt.param_groups:
        group["lr"] = lr
    schedule = {"constant": None, "cosine per epoch": "cosine",
                "OneCycleLR per batch": lr_scheduler.OneCycleLR(
                    opt, max_lr=3 * lr, epochs=EPOCHS, steps_per_epoch=steps)}[name]
    fit(model, train, opt, epochs=EPOCHS, progress=False, lr_schedule=schedule)
    print(f"{name:<28}{100 * evaluate(model, test)['accuracy']:>13.1f}%")

print(f"\nearly stopping (patience 2) with keep='best', constant lr {lr:.2g}:")
model, opt = fresh()
for group in opt.param_groups:
    group["lr"] = lr
history = fit(model, train, opt, epochs=3 * EPOCHS, test_data=test, patience=2, keep="best",
              progress=False)
print(f"ran {len(history)} of {3 * EPOCHS} epochs (stopped: {history.stopped}); best epoch "
      f"{history.best_epoch}, test loss {min(history.column('test_loss')):.4f}; the model "
      f"now has that epoch's weights: test loss {evaluate(model, test)['loss']:.4f}")
