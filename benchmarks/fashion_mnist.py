"""Epoch time on real Fashion-MNIST: autocnn's LeNet against PyTorch, same recipe and weights.

Both libraries train ``build_model("lenet")`` (conv 1→8 3×3 pad 1, ReLU, max pool 2, conv
8→16, ReLU, max pool 2, linear 784→10) from the *same initial weights* (autocnn's, copied
into the ``torch.nn`` twin by state-dict name), on the same batches in the same order
(batch 32, one shared permutation per epoch), with the recipe of ``autocnn train``: Adam,
lr 0.005 lowered along a half cosine once per epoch. Each library uses one thread
(``autocnn.perf.limit_blas_threads(1)``, ``torch.set_num_threads(1)``).

The epochs are interleaved repeat by repeat: epoch 1 of one library, then epoch 1 of the
other, then epoch 2 (in the other order), ..., so a noisy neighbour on the shared machine
slows both alike. Printed: each epoch's seconds for both, the median of the per-epoch
ratios autocnn / PyTorch, and both test accuracies after the last epoch. Needs the
dataset (Debian's ``dataset-fashion-mnist``, or ``--data-dir``) and torch.

    python benchmarks/fashion_mnist.py                 # 3 epochs on all 60 000 images
    python benchmarks/fashion_mnist.py --quick         # 1 epoch on 6 000 images
"""

from __future__ import annotations

import math
import statistics
import time

import numpy as np
from common import base_parser

import autocnn as ac
from autocnn import functional as F
from autocnn import optim
from autocnn.data import load_dataset
from autocnn.models import build_model
from autocnn.perf import limit_blas_threads
from autocnn.training import evaluate

BATCH, LR = 32, 0.005


def main() -> None:
    parser = base_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=3, help="epochs (3)")
    parser.add_argument("--data-dir", default=None, help="folder of the Fashion-MNIST files")
    args = parser.parse_args()
    import torch

    limit_blas_threads(1)
    torch.set_num_threads(1)
    epochs = 1 if args.quick else args.epochs
    train, test = load_dataset("fashion-mnist", root=args.data_dir)
    images, labels = train.images, train.labels
    if args.quick:
        images, labels = images[:6000], labels[:6000]

    ac.manual_seed(0)
    model = build_model("lenet", in_channels=1, image_size=28, num_classes=10)
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 7 * 7, 10))
    twin.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in
                          model.state_dict().items()})
    opt_ac = optim.Adam(model.parameters(), lr=LR)
    opt_torch = torch.optim.Adam(twin.parameters(), lr=LR)
    x_torch, y_torch = torch.from_numpy(images), torch.from_numpy(labels)

    def epoch_autocnn(order: np.ndarray) -> None:
        model.train()
        for start in range(0, len(order), BATCH):
            picked = order[start:start + BATCH]
            opt_ac.zero_grad()
            loss = F.cross_entropy(model(ac.tensor(images[picked])), ac.tensor(labels[picked]))
            loss.backward()
            opt_ac.step()

    def epoch_torch(order: np.ndarray) -> None:
        twin.train()
        index = torch.from_numpy(order)
        for start in range(0, len(order), BATCH):
            picked = index[start:start + BATCH]
            opt_torch.zero_grad()
            loss = torch.nn.functional.cross_entropy(twin(x_torch[picked]), y_torch[picked])
            loss.backward()
            opt_torch.step()

    rng = np.random.default_rng(0)
    times: dict[str, list[float]] = {"autocnn": [], "torch": []}
    print(f"LeNet on Fashion-MNIST: {len(labels)} training images, batch {BATCH}, Adam lr "
          f"{LR} with a per-epoch cosine, one thread each, {epochs} epoch(s)")
    for epoch in range(1, epochs + 1):
        lr = LR * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / epochs))
        for group in opt_ac.param_groups + opt_torch.param_groups:
            group["lr"] = lr
        order = rng.permutation(len(labels))
        runs = [("autocnn", epoch_autocnn), ("torch", epoch_torch)]
        for name, run in runs if epoch % 2 else runs[::-1]:
            start = time.perf_counter()
            run(order)
            times[name].append(time.perf_counter() - start)
            time.sleep(0.3)  # let the other library's threads go to sleep first
        print(f"epoch {epoch}: autocnn {times['autocnn'][-1]:.1f} s, PyTorch "
              f"{times['torch'][-1]:.1f} s")
    ratio = statistics.median(a / t for a, t in zip(times["autocnn"], times["torch"]))
    acc_ac = evaluate(model, test)["accuracy"]
    twin.eval()
    with torch.no_grad():
        predicted = twin(torch.from_numpy(test.images)).argmax(1).numpy()
    acc_torch = float(np.mean(predicted == test.labels))
    print(f"epoch time autocnn / PyTorch: {ratio:.2f}× (median of {epochs} per-epoch ratios)")
    print(f"test accuracy after {epochs} epoch(s): autocnn {100 * acc_ac:.2f} %, PyTorch "
          f"{100 * acc_torch:.2f} %")


if __name__ == "__main__":
    main()
