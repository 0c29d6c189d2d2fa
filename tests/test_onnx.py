"""autocnn.onnx.export: every exportable layer and the built-in models, checked by
onnx.checker and run with ONNX Runtime against autocnn (float32, 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F
from autocnn import models, nn
from tests.test_interop import OLDER, Scaled, UsesFunctional
from tests.test_modern_blocks import LAYERS

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from autocnn.onnx import ExportError, export  # noqa: E402

#: layers that have no ONNX translation (checked to be refused below)
NOT_EXPORTABLE = {"adaptive_max_pool2d", "adaptive_avg_pool2d"}  # unequal bins (7×9 → 3×4)


def _run(path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def _check(model: nn.Module, x: np.ndarray, path) -> None:
    proto = export(model, x, path)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    assert proto.graph.input[0].name == "input"
    model.eval()
    with ac.no_grad():
        expected = model(ac.tensor(x)).numpy()
    np.testing.assert_allclose(_run(path, x), expected, rtol=1e-5, atol=1e-5)


CASES = {
    **{k: (make, shape) for k, (make, _, shape) in LAYERS.items() if k not in NOT_EXPORTABLE},
    **OLDER,
    "adaptive_avg_equal_bins": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 6, 9)),
    "linear_3d": (lambda: nn.Linear(4, 2), (2, 3, 4)),
    "user_module": (lambda: Scaled(), (2, 4)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_exports_and_runs_in_onnxruntime_like_autocnn(name, tmp_path) -> None:
    make, shape = CASES[name]
    model = make()
    rng = np.random.default_rng(0)
    for _, p in model.named_parameters():
        p.data[...] = rng.standard_normal(p.shape) * 0.5
    for _, buf in model.named_buffers():  # batch norm: statistics other than 0 and 1
        if buf.dtype.kind == "f":
            buf.data[...] = rng.random(buf.shape) + 0.5
    _check(model, rng.standard_normal(shape).astype(np.float32) * 2, tmp_path / "m.onnx")


@pytest.mark.parametrize("name", ["seed", "lenet", "vgg_small", "resnet_small"])
def test_built_in_models_export_with_the_standard_operators(name, tmp_path) -> None:
    model = models.build_model(name, image_size=8, num_classes=3)
    x = np.random.default_rng(1).standard_normal((2, 1, 8, 8)).astype(np.float32)
    model.train()
    proto = export(model, x, tmp_path / "m.onnx")
    assert model.training  # the mode is left as it was
    ops = {n.op_type for n in proto.graph.node}
    assert {"Conv", "Relu"} <= ops
    assert ("BatchNormalization" in ops) == (name != "lenet")
    assert ("Add" in ops and "GlobalAveragePool" in ops) if name == "resnet_small" else (
        "MaxPool" in ops and "Gemm" in ops and "Flatten" in ops)
    _check(model, x, tmp_path / "m.onnx")
    # the batch axis is free: another batch size runs too
    assert _run(tmp_path / "m.onnx", np.concatenate([x, x, x])).shape == (6, 3)
    assert list(tmp_path.iterdir()) == [tmp_path / "m.onnx"]  # written atomically, no temp


def test_a_float64_model_is_exported_as_float32_and_stays_float64(tmp_path) -> None:
    model = models.build_model("seed", image_size=8).double()
    model[0].weight.data[0, 0, 0, 0] = 1 / 3  # not a float32 number
    before = model.state_dict()
    x = np.random.default_rng(2).standard_normal((2, 1, 8, 8))
    export(model, x, tmp_path / "m.onnx")
    assert model.training and model[0].weight.dtype == np.float64
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)  # untouched
    model.eval()
    np.testing.assert_allclose(_run(tmp_path / "m.onnx", x.astype(np.float32)),
                               model(ac.tensor(x)).numpy(), rtol=1e-5, atol=1e-5)


def test_what_has_no_onnx_translation_is_refused_by_name(tmp_path) -> None:
    with pytest.raises(ExportError, match=r"'1' \(UsesFunctional\): its forward reads the "
                                          r"global name 'F'"):
        export(nn.Sequential(nn.Linear(4, 4), UsesFunctional()), np.ones((1, 4)),
               tmp_path / "a.onnx")
    with pytest.raises(ExportError, match="return_indices"):
        export(nn.MaxPool2d(2, return_indices=True), np.ones((1, 1, 4, 4)), tmp_path / "b.onnx")
    with pytest.raises(ExportError, match=r"from 7×9 to 3×4: ONNX has no adaptive pooling"):
        export(nn.AdaptiveAvgPool2d((3, 4)), np.ones((1, 1, 7, 9)), tmp_path / "c.onnx")
    assert not list(tmp_path.iterdir())  # nothing written
    assert F  # the module that UsesFunctional refers to
