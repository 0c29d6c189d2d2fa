"""autocnn.explain against PyTorch: activation gradients, saliency maps and Grad-CAM on the
same weights, computed in the test with torch autograd (float64, 1e-10)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autocnn as ac
from autocnn import explain

pytestmark = pytest.mark.torch


def _seed_cnn_float64(image_size: int = 8):
    """The seed CNN in float64 with non-trivial batch-norm statistics, and its torch twin."""
    torch = pytest.importorskip("torch")
    model = ac.models.seed_cnn(image_size=image_size)
    rng = np.random.default_rng(1)
    for m in model.modules():
        for p in list(m._parameters.values()):
            p.data = p.data.astype(np.float64)
        for b in list(m._buffers.values()):
            if b is not None and b.data.dtype.kind == "f":
                b.data = b.data.astype(np.float64)
        if isinstance(m, ac.nn.BatchNorm2d):
            m.running_mean.data = rng.normal(0, 0.3, m.num_features)
            m.running_var.data = rng.uniform(0.5, 2.0, m.num_features)
            m.weight.data = rng.uniform(0.5, 1.5, m.num_features)
            m.bias.data = rng.normal(0, 0.2, m.num_features)
    tnn = torch.nn
    side = image_size // 4
    twin = tnn.Sequential(tnn.Conv2d(1, 8, 3, padding=1), tnn.BatchNorm2d(8), tnn.ReLU(),
                          tnn.MaxPool2d(2), tnn.Conv2d(8, 16, 3, padding=1),
                          tnn.BatchNorm2d(16), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
                          tnn.Linear(16 * side * side, 10)).double()
    twin.load_state_dict(OrderedDict((k, torch.from_numpy(np.array(v)))
                                     for k, v in model.state_dict().items()))
    return model, twin.eval(), torch


def _image(size: int = 8) -> np.ndarray:
    return np.random.default_rng(2).standard_normal((1, size, size))


def _torch_outputs(twin, torch, x):
    """Every layer's output (retained) and the logits, by the same paths."""
    outs = OrderedDict()
    h = x
    for name, layer in twin.named_children():
        h = layer(h)
        h.retain_grad()
        outs[name] = h
    return outs, h


def test_activation_grads_equal_pytorchs_retained_gradients():
    model, twin, torch = _seed_cnn_float64()
    img = _image()
    x = torch.from_numpy(img[None]).requires_grad_(True)
    outs, logits = _torch_outputs(twin, torch, x)
    target = int(logits.argmax())
    logits[0, target].backward()
    ours = explain.activation_grads(model, img)
    assert list(ours) == list(outs)
    for name, t in outs.items():
        np.testing.assert_allclose(ours[name], t.grad[0].numpy(), rtol=1e-10, atol=1e-12)
    acts = explain.activations(model, img)
    for name, t in outs.items():
        np.testing.assert_allclose(acts[name], t[0].detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("target", [None, 3])
def test_gradient_and_input_x_gradient_saliency_equal_pytorchs(target):
    model, twin, torch = _seed_cnn_float64()
    img = _image()
    x = torch.from_numpy(img[None]).requires_grad_(True)
    logits = twin(x)
    cls = int(logits.argmax()) if target is None else target
    (g,) = torch.autograd.grad(logits[0, cls], x)
    np.testing.assert_allclose(explain.saliency(model, img, target),
                               g.abs().amax(dim=1)[0].numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(explain.saliency(model, img, target, method="input_x_gradient"),
                               (x * g).sum(dim=1)[0].detach().numpy(), rtol=1e-10, atol=1e-14)


def test_smoothgrad_equals_the_mean_of_pytorch_saliency_over_the_same_noise():
    model, twin, torch = _seed_cnn_float64()
    img = _image()
    ac.manual_seed(5)
    ours = explain.saliency(model, img, method="smoothgrad", samples=6, noise=0.2)
    ac.manual_seed(5)
    draws = ac.random.generator().standard_normal((6, *img.shape))
    sigma = 0.2 * (img.max() - img.min())
    cls = int(twin(torch.from_numpy(img[None])).argmax())
    maps = []
    for d in draws:
        x = torch.from_numpy((img + sigma * d)[None]).requires_grad_(True)
        (g,) = torch.autograd.grad(twin(x)[0, cls], x)
        maps.append(g.abs().amax(dim=1)[0].numpy())
    np.testing.assert_allclose(ours, np.mean(maps, axis=0), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("layer", ["0", "4", "6"])
def test_grad_cam_equals_pytorchs_selvaraju_definition(layer):
    model, twin, torch = _seed_cnn_float64()
    img = _image()
    x = torch.from_numpy(img[None]).requires_grad_(True)
    outs, logits = _torch_outputs(twin, torch, x)
    cls = int(logits.argmax())
    (g,) = torch.autograd.grad(logits[0, cls], outs[layer])
    alpha = g.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((alpha * outs[layer]).sum(dim=1, keepdim=True))
    up = torch.nn.functional.interpolate(cam, size=img.shape[1:], mode="bilinear",
                                         align_corners=False)
    np.testing.assert_allclose(explain.grad_cam(model, img, layer, upsample=False),
                               cam[0, 0].detach().numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(explain.grad_cam(model, img, layer),
                               up[0, 0].detach().numpy(), rtol=1e-10, atol=1e-14)


def test_bilinear_upsampling_equals_pytorchs_for_uneven_sizes():
    torch = pytest.importorskip("torch")
    from autocnn.explain.grad_cam import upsample_bilinear

    a = np.random.default_rng(3).standard_normal((3, 5))
    for size in [(7, 11), (6, 10), (3, 5), (13, 4)]:
        theirs = torch.nn.functional.interpolate(torch.from_numpy(a)[None, None], size=size,
                                                 mode="bilinear", align_corners=False)
        np.testing.assert_allclose(upsample_bilinear(a, size), theirs[0, 0].numpy(),
                                   rtol=1e-12, atol=1e-14)
