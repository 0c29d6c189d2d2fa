"""The graph of a scalar expression, micrograd-style: every value with its data and gradient.

The expression is the one of micrograd's README picture, L = (a·b + c)·f. The picture
shows each leaf and each op with its value and dL/d(value), numbers the ops in the order
the backward pass runs them, and labels every edge with the local derivative the op's
backward rule gives (∂(a·b)/∂a = b) and the gradient flowing along it: the chain rule,
drawn.

Run:  python examples/40_graph_of_a_scalar_expression.py   (writes scalar_graph.svg)
"""

import re

import autocnn as ac
from autocnn import viz

a = ac.tensor(2.0, requires_grad=True, name="a", dtype=ac.float64)
b = ac.tensor(-3.0, requires_grad=True, name="b", dtype=ac.float64)
c = ac.tensor(10.0, requires_grad=True, name="c", dtype=ac.float64)
f = ac.tensor(-2.0, requires_grad=True, name="f", dtype=ac.float64)
e = a * b
d = e + c
L = d * f
L.name = "L"

# Intermediate tensors are not kept by the graph (that is how it frees memory), so name
# them here to see their names and values in the picture.
picture = viz.to_dot(L, params={"e": e, "d": d}, show_values=True, show_grads=True,
                     derivatives=True, number_steps=True, rankdir="LR")

L.backward()
print(f"L = {L.item():g};  dL/da = {a.grad.item():g}, dL/db = {b.grad.item():g}, "
      f"dL/dc = {c.grad.item():g}, dL/df = {f.grad.item():g}")
print("edge labels (local derivative and the gradient along each edge):")
for line in picture.source.splitlines():
    if "∂" in line:
        edge, label = line.strip().split(" [label=<", 1)
        text = re.sub(r"<[^>]*>", "   ", label.removesuffix(">]"))
        print(f"  {edge:14s} {text.strip()}")

path = viz.save(picture, "scalar_graph.svg")
print(f"wrote {path}")
