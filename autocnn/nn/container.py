"""``Sequential`` and ``ModuleList``: modules kept in order.

``Sequential(conv, relu, pool, ...)`` feeds each module's output to the next, and names its
children ``0``, ``1``, ``2``, ... so the state-dict keys are PyTorch's (``0.weight``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from autocnn.nn.module import Module


def _index(container: Module, idx: Any, size: int) -> int:
    name = type(container).__name__
    if isinstance(idx, bool) or not hasattr(idx, "__index__"):
        raise TypeError(f"{name} indices must be ints or slices, got {type(idx).__name__}")
    i = idx.__index__()
    if not -size <= i < size:
        raise IndexError(f"{name}: index {i} is out of range for {size} modules")
    return i % size


class Sequential(Module):
    """Modules applied one after another: ``Sequential(m0, m1, m2)(x) == m2(m1(m0(x)))``.

    Indexable (``seq[0]``, ``seq[-1]``; a slice gives a ``Sequential`` keeping the names),
    iterable and sized. An ``OrderedDict`` of name → module gives the children those names.
    """

    def __init__(self, *modules: Module | OrderedDict) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
            return
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {i} must be an nn.Module, got "
                    f"{type(module).__name__}"
                )
            self.add_module(str(i), module)

    def forward(self, x: Any) -> Any:
        """Pass ``x`` through every module in order.

        A ``ValueError`` from a module (a shape mismatch, typically) gets the chain of
        shapes and the fix added to its message (``autocnn.explain.shape_chain.annotate``).
        """
        first = x
        for name, module in self._modules.items():
            try:
                x = module(x)
            except ValueError as error:
                from autocnn.explain.shape_chain import annotate  # lazy: only on failure

                annotate(error, self, first, name)
                raise
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Module:
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        return items[_index(self, idx, len(items))][1]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[_index(self, idx, len(self._modules))]
        setattr(self, key, module)

    def __delitem__(self, idx: int | slice) -> None:
        keys = list(self._modules)
        doomed = keys[idx] if isinstance(idx, slice) else [keys[_index(self, idx, len(keys))]]
        for key in doomed:
            del self._modules[key]

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (named by its position); return self."""
        self.add_module(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    """A list of modules, registered so their parameters are found (no ``forward``)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for module in modules or ():
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; return self."""
        self.add_module(str(len(self._modules)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Any:
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(mods[idx])
        return mods[_index(self, idx, len(mods))]
