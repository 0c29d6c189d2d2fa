"""Autograd in three steps: a scalar expression, the same with tensors, a gradient of a gradient.

Run:  python examples/01_autograd_basics.py
"""

import numpy as np

import autocnn as ac
from autocnn.autograd import grad, gradcheck

# 1. A scalar expression, as in micrograd: every operation records a node of the graph,
#    backward() walks it in reverse and fills .grad of the leaves.
a = ac.tensor(-4.0, requires_grad=True, name="a")
b = ac.tensor(2.0, requires_grad=True, name="b")
c = a + b
d = a * b + b**3
c = c + c + 1
c = c + 1 + c + (-a)
d = d + d * 2 + (b + a).relu()
d = d + 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g = g + 10.0 / f
g.backward()
print(f"g = {g.item():.4f}")                    # 24.7041
print(f"dg/da = {a.grad.item():.4f}")           # 138.8338
print(f"dg/db = {b.grad.item():.4f}")           # 645.5773
print(f"g was made by {g.grad_fn.name}; its inputs come from "
      f"{[type(e).__name__ if e is not None else None for e in g.grad_fn.next_edges]}")

# 2. The same engine on tensors: a linear layer and a mean squared error, with broadcasting.
ac.manual_seed(0)
x = ac.randn(8, 3, dtype=ac.float64)                   # a batch of 8 inputs
w = ac.randn(3, 2, dtype=ac.float64, requires_grad=True, name="w")
bias = ac.zeros(2, dtype=ac.float64, requires_grad=True, name="bias")
target = ac.randn(8, 2, dtype=ac.float64)
loss = ((x @ w + bias - target) ** 2).mean()          # bias broadcasts over the batch
loss.backward()
print(f"\nloss = {loss.item():.4f}")
print("dloss/dw =\n", np.round(w.grad.numpy(), 4))
print("dloss/dbias =", np.round(bias.grad.numpy(), 4), "(summed over the batch)")
# check every entry against central finite differences, with a random upstream gradient
print("gradcheck:", gradcheck(lambda w, bias: ((x @ w + bias - target) ** 2).mean(), (w, bias)))

# 3. A gradient of a gradient: with create_graph=True the backward pass is itself recorded.
t = ac.tensor(0.5, requires_grad=True, dtype=ac.float64)
y = t.tanh()
(dy,) = grad(y, t, create_graph=True)        # 1 − tanh²
(d2y,) = grad(dy, t)                         # −2 tanh (1 − tanh²)
th = np.tanh(0.5)
print(f"\nd/dt tanh(0.5)   = {dy.item():.6f}  (exact {1 - th**2:.6f})")
print(f"d²/dt² tanh(0.5) = {d2y.item():.6f}  (exact {-2 * th * (1 - th**2):.6f})")
