"""``autocnn.optim``: optimisers that update parameters from their gradients.

``SGD`` (momentum, Nesterov, weight decay) and ``Adam`` follow PyTorch's update formulas;
``Optimizer`` is their base class (parameter groups, ``zero_grad``, state dicts).

Typical use::

    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in batches:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
"""

from autocnn.optim.adam import Adam
from autocnn.optim.optimizer import Optimizer
from autocnn.optim.sgd import SGD

__all__ = ["SGD", "Adam", "Optimizer"]
