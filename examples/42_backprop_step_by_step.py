"""Backpropagation step by step: one picture per step of the engine's own backward pass.

A single neuron, o = tanh(x1·w1 + x2·w2 + b) (micrograd's example). Frame 0 is the forward
graph; frame k shows exactly k computed gradients, the k-th highlighted, in the order the
engine runs them: an op's gradient when the engine reaches it, a leaf's once the last
contribution has arrived. The frames are written as a numbered SVG sequence (in Jupyter,
``frames`` alone shows a slider). The same works on any model:
``autocnn graph --steps --collapse --out steps/``.

Run:  python examples/42_backprop_step_by_step.py   (writes backprop/step_000.svg, ...)
"""

import autocnn as ac
from autocnn import viz

x1 = ac.tensor(2.0, name="x1", dtype=ac.float64, requires_grad=True)
x2 = ac.tensor(0.0, name="x2", dtype=ac.float64, requires_grad=True)
w1 = ac.tensor(-3.0, name="w1", dtype=ac.float64, requires_grad=True)
w2 = ac.tensor(1.0, name="w2", dtype=ac.float64, requires_grad=True)
b = ac.tensor(6.8813735870195432, name="b", dtype=ac.float64, requires_grad=True)
x1w1 = x1 * w1
x2w2 = x2 * w2
n = x1w1 + x2w2 + b
o = n.tanh()
o.name = "o"

frames = viz.backward_frames(o, {"x1w1": x1w1, "x2w2": x2w2, "n": n}, derivatives=True)
print(f"{len(frames)} frames for {len(frames) - 1} gradients:")
for k in range(len(frames)):
    print(" ", frames.caption(k))

paths = frames.save("backprop")
print(f"wrote {len(paths)} files: {paths[0]} ... {paths[-1]}")

# The pictures replay the engine; the real backward gives the same numbers.
o.backward()
print(f"after o.backward(): dL/dx1 = {x1.grad.item():.4f}, dL/dw1 = {w1.grad.item():.4f}, "
      f"dL/db = {b.grad.item():.4f}")
