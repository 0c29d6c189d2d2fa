"""``autocnn.interop``: move models to PyTorch and back, and prove they compute the same.

    from autocnn import interop
    torch_model = interop.to_torch(model)          # weights and buffers copied
    back = interop.from_torch(torch_model)         # and back again
    report = interop.check_same(model, torch_model, images)
    assert report, str(report)                     # outputs, gradients and buffers agree

PyTorch is an optional extra (``pip install 'autocnn[torch]'``): it is imported inside these
functions only, so ``import autocnn`` (and even ``import autocnn.interop``) never loads it.

==============  ==============================================================
file            what
==============  ==============================================================
``convert.py``  to_torch, from_torch (the walk over the module tree)
``layers.py``   the table of layer counterparts, ConversionError
``replay.py``   when a user's Module can run its own forward in the other library
``check.py``    check_same and its SameReport
==============  ==============================================================
"""

from autocnn.interop.check import SameReport, check_same
from autocnn.interop.convert import from_torch, to_torch
from autocnn.interop.layers import ConversionError

__all__ = ["ConversionError", "SameReport", "check_same", "from_torch", "to_torch"]
