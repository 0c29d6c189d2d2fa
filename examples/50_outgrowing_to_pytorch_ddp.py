"""When one machine is not enough: train in autocnn, continue with PyTorch's
DistributedDataParallel on 2 CPU processes, and come back.

1. train the lesson's CNN in autocnn on the built-in shapes;
2. ``interop.to_torch`` — the same network in PyTorch, proved equal with ``check_same``;
3. continue training it with ``DistributedDataParallel``: 2 processes started by
   ``torch.multiprocessing``, talking over the gloo backend on localhost only, each on its
   own half of every batch (the gradients are averaged across the two);
4. ``interop.from_torch`` — back to autocnn, with the accuracy it had in PyTorch.

Run it as a script (``python examples/50_outgrowing_to_pytorch_ddp.py``); the processes
re-import this file, so the work is inside ``main()``. Without PyTorch it says so and stops.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
import tempfile

import numpy as np

import autocnn as ac
from autocnn import optim
from autocnn.data import load_shapes
from autocnn.files import atomic_writer
from autocnn.models import build_model
from autocnn.training import evaluate, fit, limit_blas_threads

SMALL = os.environ.get("AUTOCNN_EXAMPLE_SMALL") == "1"
N_TRAIN, EPOCHS, DDP_STEPS = (300, 1, 4) if SMALL else (3000, 3, 200)
IMAGE_SIZE, BATCH, WORLD = 12, 32, 2


def torch_accuracy(model, images: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of images the torch model classifies right (evaluation mode)."""
    import torch

    model.eval()
    with torch.no_grad():
        predicted = model(torch.from_numpy(images)).argmax(dim=1).numpy()
    return float((predicted == labels).mean())


def worker(rank: int, model, port: int, out_path: str) -> None:
    """One of the two processes: its half of each batch, gradients averaged by DDP."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=WORLD)
    try:
        train, _ = load_shapes(n_train=N_TRAIN, n_test=200, image_size=IMAGE_SIZE, seed=0)
        ddp = DistributedDataParallel(model)  # broadcasts rank 0's weights to every rank
        opt = torch.optim.SGD(ddp.parameters(), lr=0.02, momentum=0.9)
        rng = np.random.default_rng(1)  # the same order on both ranks; each takes its half
        model.train()
        for _ in range(DDP_STEPS):
            batch = rng.choice(len(train.labels), size=BATCH * WORLD, replace=False)
            mine = batch[rank::WORLD]
            x = torch.from_numpy(train.images[mine])
            y = torch.from_numpy(train.labels[mine].astype(np.int64))
            opt.zero_grad()
            torch.nn.functional.cross_entropy(ddp(x), y).backward()  # all-reduce here
            opt.step()
        if rank == 0:  # the ranks hold the same weights: one writes them
            with atomic_writer(out_path, "wb") as f:
                torch.save(model.state_dict(), f)
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    """A free TCP port on localhost for the processes to meet at."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    if importlib.util.find_spec("torch") is None:
        print("PyTorch is not installed (pip install 'autocnn[torch]'): nothing to do")
        return
    import torch
    import torch.multiprocessing as mp

    from autocnn import interop

    limit_blas_threads(1)
    ac.manual_seed(0)
    train, test = load_shapes(n_train=N_TRAIN, n_test=200, image_size=IMAGE_SIZE, seed=0)

    # 1. autocnn
    model = build_model("seed", image_size=IMAGE_SIZE, num_classes=train.num_classes)
    fit(model, train, optim.Adam(model.parameters(), lr=0.005), epochs=EPOCHS,
        batch_size=BATCH, progress=False)
    acc_autocnn = evaluate(model, test)["accuracy"]
    print(f"1. autocnn, after {EPOCHS} epoch(s):       test accuracy {acc_autocnn:.3f}")

    # 2. to PyTorch, checked
    model.eval()
    theirs = interop.to_torch(model)
    report = interop.check_same(model, theirs, test.images[:8])
    print(f"2. to_torch: {report}")
    assert report, "the converted model computes something else"
    acc_torch = torch_accuracy(theirs, test.images, test.labels)
    assert acc_torch == acc_autocnn, (acc_torch, acc_autocnn)
    print(f"   in PyTorch:                      test accuracy {acc_torch:.3f} (the same)")

    # 3. DistributedDataParallel on 2 processes
    with tempfile.TemporaryDirectory() as tmp:
        out_path = os.path.join(tmp, "ddp.pt")
        mp.spawn(worker, args=(theirs, free_port(), out_path), nprocs=WORLD, join=True)
        theirs.load_state_dict(torch.load(out_path))
    acc_ddp = torch_accuracy(theirs, test.images, test.labels)
    print(f"3. after {DDP_STEPS} DDP steps on {WORLD} processes: test accuracy {acc_ddp:.3f}")

    # 4. back to autocnn
    back = interop.from_torch(theirs)
    acc_back = evaluate(back, test)["accuracy"]
    print(f"4. from_torch, in autocnn:          test accuracy {acc_back:.3f}")
    assert acc_back == acc_ddp, (acc_back, acc_ddp)
    assert interop.check_same(back, theirs, test.images[:8])
    print("the accuracy carried over both ways")


if __name__ == "__main__":
    sys.exit(main())
