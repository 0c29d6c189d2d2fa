"""The two pages a student opens: the report of a training run and an explainer of the CNN.

Trains the seed CNN on the built-in shapes for a few epochs, then writes

- ``report.html`` (``autocnn.report``): settings, learning curves, parameters per layer
  with their formulas, filters, feature maps, confusion matrix, confident mistakes, and
  the graph of one training step;
- ``explain.html`` (``autocnn.explain.page``): every layer's feature maps for four test
  images, the probabilities, and the formula of any entry you click.

Both are single offline files: open them in a browser from the folder. Also shown: a
scalar formula drawn micrograd-style with ``viz.expression_graph``.

Run:  python examples/43_pages_of_a_run.py   (writes report.html, explain.html, formula.dot)
"""

import os

import autocnn as ac
from autocnn import explain, optim, viz
from autocnn.data import load_shapes
from autocnn.models import build_model
from autocnn.report import write_report
from autocnn.report.contents import parameter_rows
from autocnn.training import fit

SMALL = os.environ.get("AUTOCNN_EXAMPLE_SMALL") == "1"

ac.manual_seed(0)
train, test = load_shapes(n_train=300 if SMALL else 3000, n_test=100 if SMALL else 1000,
                          image_size=12)
model = build_model("seed", image_size=12, num_classes=train.num_classes)
history = fit(model, train, optim.Adam(model.parameters(), lr=0.005),
              epochs=1 if SMALL else 5, test_data=test, batch_size=32, progress=False)

for row in parameter_rows(model):  # what the report's parameter table says
    print(f"{row['path']:>2} {row['type']:<12} {row['formula']}")

report = write_report("report.html", model, history, test, {"epochs": len(history)})
page = explain.page(model, test.images[:4], "explain.html", labels=test.labels[:4],
                    classes=test.classes)
print(f"wrote {report} ({report.stat().st_size // 1000} kB) and {page} "
      f"({page.stat().st_size // 1000} kB): open them in a browser, click a feature map")

out, tensors = viz.expression_graph("tanh(a*b + c)")  # micrograd's example, a=2 b=-3 c=10
picture = viz.to_dot(out, tensors, show_values=True, show_grads=True, derivatives=True,
                     rankdir="LR")
viz.save(picture, "formula.dot")
print(f"tanh(a*b + c) = {out.item():.4f}; wrote formula.dot")
