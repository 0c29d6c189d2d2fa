"""Hooks: look inside a network while it runs (PyTorch's names and semantics).

1. the gradient of a hidden layer, kept with retain_grad();
2. a tensor hook that clips a gradient before it flows on;
3. forward hooks that collect every layer's activations;
4. a full backward hook that prints the gradient flowing out of each layer.

Run:  python examples/02_hooks.py
"""

import numpy as np

import autocnn as ac
from autocnn import nn

ac.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
x = ac.randn(5, 4)

# 1. retain_grad: a non-leaf keeps its gradient (reading .grad without it warns)
hidden = model[1](model[0](x))
hidden.retain_grad()
model[2](hidden).sum().backward()
print("dL/d(hidden) has shape", hidden.grad.shape)

# 2. a tensor hook: its return value replaces the gradient
w = model[0].weight
with w.register_hook(lambda g: ac.tensor(np.clip(g.numpy(), -0.01, 0.01))):
    model.zero_grad()
    model(x).sum().backward()
print(f"largest |dL/dW| of layer 0 after clipping: {np.abs(w.grad.numpy()).max():.4f}")

# 3. forward hooks: collect activations, then remove the hooks
activations = {}
handles = [
    layer.register_forward_hook(
        lambda module, args, out, name=name: activations.setdefault(name, out)
    )
    for name, layer in model.named_children()
]
model(x)
for h in handles:
    h.remove()
for name, a in activations.items():
    print(f"layer {name} ({type(model[int(name)]).__name__}): output {a.shape}, "
          f"mean {a.numpy().mean():+.3f}")

# 4. full backward hooks: the gradient w.r.t. each layer's output, last layer first
def report(module, grad_input, grad_output):
    print(f"backward through {type(module).__name__}: |dL/d out| = "
          f"{np.linalg.norm(grad_output[0].numpy()):.3f}")


handles = [layer.register_full_backward_hook(report) for layer in model]
model(x).sum().backward()
for h in handles:
    h.remove()
