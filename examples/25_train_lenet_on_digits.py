"""Train the LeNet-like CNN on scikit-learn's 8×8 handwritten digits (≥ 97 % test accuracy).

The digits ship with scikit-learn (``pip install "autocnn[datasets]"``): 1,797 images, a
fixed split of 1,437 for training and 360 for testing. The same loop as for the shapes;
only the data changed. The script also prints a few test digits as text with the model's
guess.
"""

import importlib.util
import os
import sys

import autocnn as ac
from autocnn import optim
from autocnn.data import load_digits
from autocnn.models import build_model
from autocnn.training import evaluate, fit, limit_blas_threads, predict

if importlib.util.find_spec("sklearn") is None:
    print("this example needs scikit-learn: pip install \"autocnn[datasets]\"")
    sys.exit(0)

SMALL = os.environ.get("AUTOCNN_EXAMPLE_SMALL") == "1"
EPOCHS = 2 if SMALL else 15
limit_blas_threads(1)
ac.manual_seed(0)

train, test = load_digits()
print(train, "\n", test, sep="")
model = build_model("lenet", in_channels=1, image_size=8, num_classes=10)
print(model)

optimizer = optim.Adam(model.parameters(), lr=0.005)
fit(model, train, optimizer, epochs=EPOCHS, test_data=test, batch_size=32, lr_schedule="cosine")
result = evaluate(model, test)
print(f"\ntest accuracy {100 * result['accuracy']:.2f}% on {result['count']} digits")

guesses = predict(model, test.images[:4]).argmax(axis=1)
shades = " .:-=+*#%@"
for image, label, guess in zip(test.images[:4, 0], test.labels[:4], guesses):
    print(f"\nlabel {label}, model says {guess}")
    for row in image:
        print("   " + "".join(shades[min(int(v * 10), 9)] * 2 for v in row))
