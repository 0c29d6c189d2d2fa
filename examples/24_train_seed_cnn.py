"""Train the lesson's CNN on the built-in shapes, then look at what it gets right and wrong.

This is ``autocnn train`` written out in a dozen lines: a dataset, the model, an optimiser,
``fit`` (the mini-batch loop with a progress bar), a test accuracy, a confusion matrix, a
model file that reloads to the same predictions.
"""

import os

import numpy as np

import autocnn as ac
from autocnn import optim
from autocnn.data import load_shapes
from autocnn.models import build_model
from autocnn.training import (
    confusion_matrix,
    evaluate,
    fit,
    limit_blas_threads,
    load_model,
    predict,
    save_model,
)

SMALL = os.environ.get("AUTOCNN_EXAMPLE_SMALL") == "1"
N_TRAIN, EPOCHS = (600, 2) if SMALL else (3000, 5)
limit_blas_threads(1)   # small matrices: one BLAS thread is faster, above all on busy CPUs
ac.manual_seed(0)

train, test = load_shapes(n_train=N_TRAIN, n_test=1000, image_size=12, seed=0)
print(train)
model = build_model("seed", in_channels=1, image_size=12, num_classes=train.num_classes)
print(model)
print(f"{model.num_parameters():,} parameters\n")

optimizer = optim.Adam(model.parameters(), lr=0.005)
history = fit(model, train, optimizer, epochs=EPOCHS, test_data=test, batch_size=32,
              lr_schedule="cosine")

result = evaluate(model, test)
print(f"\ntest accuracy {100 * result['accuracy']:.2f}%  (loss {result['loss']:.4f})")

predictions = predict(model, test.images).argmax(axis=1)
matrix = confusion_matrix(test.labels, predictions, test.num_classes)
print("\nconfusion matrix (rows: true class, columns: predicted)")
print(" " * 7 + "".join(f"{c:>7}" for c in test.classes))
for name, row in zip(test.classes, matrix):
    print(f"{name:>7}" + "".join(f"{v:>7}" for v in row))

path = save_model(model, "seed_cnn.npz", {"model": "seed", "in_channels": 1,
                                          "image_size": 12, "num_classes": 5})
again, _ = load_model(path)
same = np.array_equal(predict(again, test.images), predict(model, test.images))
print(f"\nsaved to {path} (+ {path.with_suffix('.json').name}); reloaded model predicts the "
      f"same: {same}")
