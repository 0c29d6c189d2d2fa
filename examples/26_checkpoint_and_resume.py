"""Checkpoints: stop a run with Ctrl-C, resume it, and get the uninterrupted run bit for bit.

``fit(..., checkpoint_dir=DIR)`` saves model, optimiser state, generator state, schedule
and history after every epoch; the first Ctrl-C lets the epoch finish, saves, and stops.
Here the Ctrl-C is sent by the script itself during epoch 2 (``os.kill(..., SIGINT)``, what
the terminal does when you press it). Then a fresh model and optimiser — as in a new
process — resume from the folder, and the result is compared with a run that was never
stopped: the same weights and the same metrics, to the last bit.
"""

import os
import signal
import tempfile
from pathlib import Path

import numpy as np

import autocnn as ac
from autocnn import optim
from autocnn.data import DataLoader, load_shapes
from autocnn.data.transforms import RandomShift
from autocnn.models import build_model
from autocnn.training import fit, limit_blas_threads, read_checkpoint

SMALL = os.environ.get("AUTOCNN_EXAMPLE_SMALL") == "1"
N_TRAIN, EPOCHS = (300, 3) if SMALL else (2000, 5)
limit_blas_threads(1)
train, test = load_shapes(n_train=N_TRAIN, n_test=300, image_size=12)
folder = Path(tempfile.mkdtemp())


def run(checkpoints: Path, resume: bool = False, ctrl_c_in_epoch: int | None = None):
    """A seeded run: the seed CNN, Adam, a cosine schedule, random shifts of 1 pixel."""
    ac.manual_seed(0)
    model = build_model("seed", in_channels=1, image_size=12, num_classes=train.num_classes)
    opt = optim.Adam(model.parameters(), lr=0.005)
    loader = DataLoader(train, batch_size=32, shuffle=True, transform=RandomShift(1))
    batches = {"n": 0}

    def loss_fn(logits, labels):
        batches["n"] += 1
        if ctrl_c_in_epoch and batches["n"] == (ctrl_c_in_epoch - 1) * len(loader) + 3:
            os.kill(os.getpid(), signal.SIGINT)  # as if Ctrl-C were pressed now
        return ac.functional.cross_entropy(logits, labels)

    history = fit(model, loader, opt, epochs=EPOCHS, test_data=test, loss_fn=loss_fn,
                  lr_schedule="cosine", checkpoint_dir=checkpoints, resume=resume)
    return model, history


print("== a run that is never stopped")
whole_model, whole = run(folder / "whole")
print("\n== the same run, Ctrl-C during epoch 2")
_, part = run(folder / "part", ctrl_c_in_epoch=2)
saved = read_checkpoint(folder / "part" / "last.npz")
print(f"stopped: {part.stopped}; the checkpoint holds epoch {saved['meta']['epoch']}, "
      f"{len(saved['model'])} model arrays, {len(saved['optimizer'])} optimiser entries")
print("\n== resumed from the checkpoint folder, with a fresh model and optimiser")
model, resumed = run(folder / "part", resume=True)

same_weights = all(np.array_equal(a, b) for a, b in
                   zip(whole_model.state_dict().values(), model.state_dict().values()))
same_metrics = [(r.train_loss, r.test_accuracy) for r in whole] == \
               [(r.train_loss, r.test_accuracy) for r in resumed]
print(f"\nsame weights as the uninterrupted run: {same_weights}; same metrics: {same_metrics}")
