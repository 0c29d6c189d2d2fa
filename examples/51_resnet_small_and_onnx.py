"""A ResNet-style network in autocnn, trained briefly, then exported to ONNX and run there.

``resnet_small`` is built from the modern blocks — ``BasicBlock`` residual connections,
stride-2 convolutions with 1×1 projection shortcuts, global average pooling — each a
composition of the engine's primitives. After a short training on the built-in shapes the
model is written as an ONNX file and, when ONNX Runtime is installed, run there: its
predictions are autocnn's.
"""

import importlib.util
import os
import tempfile
from pathlib import Path

import numpy as np

import autocnn as ac
from autocnn import optim
from autocnn.data import load_shapes
from autocnn.models import build_model
from autocnn.training import evaluate, fit, limit_blas_threads

SMALL = os.environ.get("AUTOCNN_EXAMPLE_SMALL") == "1"
N_TRAIN, EPOCHS = (200, 1) if SMALL else (2000, 3)
limit_blas_threads(1)
ac.manual_seed(0)

train, test = load_shapes(n_train=N_TRAIN, n_test=200, image_size=12, seed=0)
model = build_model("resnet_small", image_size=12, num_classes=train.num_classes)
print(model[4][0])  # the second stage's block: conv stride 2 and a projection shortcut
print(f"{model.num_parameters():,} parameters")
fit(model, train, optim.Adam(model.parameters(), lr=0.005), epochs=EPOCHS, batch_size=32,
    progress=False)
print(f"test accuracy in autocnn: {evaluate(model, test)['accuracy']:.3f}")

if importlib.util.find_spec("onnx") is None:
    print("onnx is not installed (pip install 'autocnn[onnx]'): no export")
else:
    from autocnn.onnx import export

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "resnet_small.onnx"
        proto = export(model, test.images[:1], path)
        ops = sorted({node.op_type for node in proto.graph.node})
        print(f"exported {path.name}: {path.stat().st_size:,} bytes, operators {ops}")
        if importlib.util.find_spec("onnxruntime") is not None:
            import onnxruntime

            session = onnxruntime.InferenceSession(str(path),
                                                   providers=["CPUExecutionProvider"])
            theirs = session.run(None, {"input": test.images})[0]
            model.eval()
            with ac.no_grad():
                ours = model(ac.tensor(test.images)).numpy()
            print(f"ONNX Runtime: largest difference from autocnn {np.abs(theirs - ours).max():.2g}"
                  f", same predictions: {(theirs.argmax(1) == ours.argmax(1)).all()}")
