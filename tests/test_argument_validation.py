"""Every public argument is validated: bools are bools, sizes are non-negative ints, axes
are ints, gradients are numbers; wrong input raises TypeError/ValueError naming the
function and the argument, never a silent coercion or a raw NumPy message."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn import functional as F
from autocnn import nn

NOT_BOOLS = ["no", "False", 1, 0, None, 1.0, [True]]


# ---------------------------------------------------------------------- bools are bools
@pytest.mark.parametrize("value", NOT_BOOLS)
def test_requires_grad_must_be_a_bool_everywhere(value) -> None:
    makers = [
        lambda: ac.tensor([1.0], requires_grad=value),
        lambda: ac.Tensor([1.0], requires_grad=value),
        lambda: ac.zeros(2, requires_grad=value),
        lambda: ac.ones(2, requires_grad=value),
        lambda: ac.randn(2, requires_grad=value),
        lambda: ac.rand(2, requires_grad=value),
        lambda: ac.zeros_like(np.ones(2), requires_grad=value),
        lambda: nn.Parameter(np.ones(2), requires_grad=value),
        lambda: ac.tensor([1.0]).requires_grad_(value),
    ]
    for make in makers:
        with pytest.raises(TypeError, match=r"requires_grad.*must be a bool"):
            make()
    t = ac.tensor([1.0])
    with pytest.raises(TypeError, match="requires_grad"):
        t.requires_grad = value
    assert t.requires_grad is False


@pytest.mark.parametrize("method", ["sum", "mean", "var", "max", "min"])
@pytest.mark.parametrize("value", ["yes", 1, None])
def test_keepdims_must_be_a_bool(method: str, value) -> None:
    with pytest.raises(TypeError, match=f"{method}: 'keepdims' must be a bool"):
        getattr(ac.ones(2, 3), method)(axis=0, keepdims=value)


def test_backward_flags_must_be_bools() -> None:
    x = ac.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="retain_graph"):
        (x * 2).sum().backward(retain_graph="yes")
    with pytest.raises(TypeError, match="create_graph"):
        (x * 2).sum().backward(create_graph=1)


# ---------------------------------------------------------------------- shapes and axes
@pytest.mark.parametrize("shape", [(2.5, 2), (2.0, 3), ("2", 3), (True, 6), (None,)])
def test_reshape_refuses_non_integer_sizes(shape) -> None:
    with pytest.raises(TypeError, match="reshape: sizes must be ints"):
        ac.ones(6).reshape(*shape)


@pytest.mark.parametrize("shape", [(2.5,), (-1,), ("3",), (True,)])
def test_constructors_refuse_non_integer_or_negative_sizes(shape) -> None:
    for make in (ac.zeros, ac.ones, ac.randn, ac.rand):
        with pytest.raises(ValueError, match="sizes must be non-negative ints"):
            make(*shape)


@pytest.mark.parametrize("axis", [1.5, "0", True, {0}, 1.0])
@pytest.mark.parametrize("method", ["sum", "mean", "var", "max", "min"])
def test_reduction_axis_must_be_int_or_tuple_of_ints(method: str, axis) -> None:
    with pytest.raises(TypeError, match=f"{method}: axis must be an int or a tuple of ints"):
        getattr(ac.ones(2, 3), method)(axis=axis)


@pytest.mark.parametrize("axis", [(0, 1), 1.0, "1", None, True])
def test_softmax_axis_must_be_an_int(axis) -> None:
    for fn in (F.softmax, F.log_softmax):
        with pytest.raises(TypeError, match="softmax: 'axis' must be an int"):
            fn(ac.ones(2, 3), axis=axis)


def test_flatten_start_axis_must_be_an_int() -> None:
    with pytest.raises(TypeError, match="flatten: 'start_axis' must be an int"):
        F.flatten(ac.ones(2, 3, 4), start_axis=1.0)


def test_softmax_over_an_empty_axis_and_flatten_of_an_empty_batch_work() -> None:
    assert F.softmax(ac.zeros(3, 0), axis=1).shape == (3, 0)
    assert F.log_softmax(ac.zeros(0, 4), axis=0).shape == (0, 4)
    assert F.softmax(ac.zeros(0, 4), axis=1).shape == (0, 4)
    assert F.flatten(ac.zeros(0, 3, 2, 2)).shape == (0, 12)
    assert nn.Flatten()(ac.zeros(0, 1, 28, 28)).shape == (0, 784)
    x = ac.zeros(0, 3, 2, requires_grad=True)
    F.flatten(x).sum().backward()
    assert x.grad.shape == (0, 3, 2)


@pytest.mark.torch
def test_empty_softmax_and_flatten_match_torch_shapes() -> None:
    torch = pytest.importorskip("torch")
    assert tuple(torch.zeros(3, 0).softmax(1).shape) == F.softmax(ac.zeros(3, 0), 1).shape
    assert tuple(torch.zeros(0, 3, 2, 2).flatten(1).shape) == F.flatten(
        ac.zeros(0, 3, 2, 2)).shape


# ---------------------------------------------------------------------- gradients
@pytest.mark.parametrize("gradient", [
    [1.0, None], None, "1", b"1", [["a", "b"]], {"a": 1}, True, np.array(["1", "2"]),
    np.array([1 + 1j, 2]),
])
def test_backward_refuses_gradients_that_are_not_numbers(gradient) -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises((TypeError, RuntimeError), match="backward"):
        y.backward(gradient)
    assert x.grad is None


def test_autograd_grad_refuses_non_numeric_grad_outputs() -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="grad: 'gradient'"):
        ac.autograd.grad(x * 2, x, grad_outputs=[[1.0, None]])


def test_assigning_grad_takes_only_a_tensor_of_the_right_shape() -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="grad: assigned grad must be a Tensor"):
        x.grad = np.ones(2)
    with pytest.raises(TypeError, match="grad: assigned grad must be a Tensor"):
        x.grad = [1.0, 2.0]
    with pytest.raises(ValueError, match=r"grad: assigned grad has shape \(3,\)"):
        x.grad = ac.ones(3)
    x.grad = ac.ones(2)
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1])
    x.grad = None
    assert x.grad is None


# ---------------------------------------------------------------------- grad mode
def test_no_grad_on_a_generator_function_holds_inside_the_generator() -> None:
    seen = []

    @ac.no_grad()
    def batches(n):
        for i in range(n):
            seen.append(ac.is_grad_enabled())
            received = yield ac.tensor([float(i)], requires_grad=True) * 2
            seen.append(received)

    gen = batches(2)
    first = next(gen)
    assert not first.requires_grad and ac.is_grad_enabled()  # restored between items
    second = gen.send("hello")
    assert not second.requires_grad
    with pytest.raises(StopIteration):
        next(gen)
    assert seen == [False, "hello", False, None]
    assert ac.is_grad_enabled()


def test_enable_grad_on_a_generator_and_exceptions_thrown_into_it() -> None:
    @ac.enable_grad()
    def gen():
        try:
            yield ac.is_grad_enabled()
        except KeyError:
            yield "caught"

    with ac.no_grad():
        g = gen()
        assert next(g) is True
        assert not ac.is_grad_enabled()
        assert g.throw(KeyError("k")) == "caught"
        g.close()
    assert ac.is_grad_enabled()


# ---------------------------------------------------------------------- symbolic checks
@pytest.mark.parametrize("shape", [(2.5,), (2.0, 1), ("2",), 2.5, (True,), None, {2}])
def test_symbolic_shapes_must_be_tuples_of_ints(shape) -> None:
    from autocnn import symbolic
    from autocnn.symbolic.formulas import check_formula

    with pytest.raises(TypeError, match=r"symbolic.symbols: expected a shape"):
        symbolic.symbols("x", shape)
    with pytest.raises(TypeError, match=r"symbolic.verify: expected a shape"):
        symbolic.verify(lambda x: x, shape)
    with pytest.raises(TypeError, match=r"check_formula: expected a shape"):
        check_formula("1", lambda x: x.sum(), shape)


@pytest.mark.parametrize("fn", [3, "x * 2", None, (lambda x: x,)])
def test_verify_and_exact_gradcheck_need_a_callable(fn) -> None:
    from autocnn import symbolic

    with pytest.raises(TypeError, match=r"symbolic.verify: 'fn' must be a function"):
        symbolic.verify(fn, (2,))
    with pytest.raises(TypeError, match=r"symbolic.exact_gradcheck: 'fn' must be a function"):
        symbolic.exact_gradcheck(fn, [1.0])


@pytest.mark.parametrize("formula, message", [
    ("((x_0 + 1)", "the '(' at position 1 is never closed"),
    ("x_0 + 1)", "the ')' at position 8 closes nothing"),
    ("exp(x_0]", "the '(' at position 4 is closed by ']' at position 8"),
    ("(x_0 * (x_1 + 2)", "the '(' at position 1 is never closed"),
])
def test_formula_syntax_errors_name_the_unbalanced_parenthesis(formula, message) -> None:
    from autocnn.symbolic.formulas import check_formula

    report = check_formula(formula, lambda x: x.sum(), (2,))
    assert report.status == "invalid"
    assert "unbalanced parenthesis" in report.message and message in report.message


@pytest.mark.parametrize("formula", [
    "(x_0 + x_1 + x_2)**200",
    "(x_0 + 1)**999",
    "(x_0 + x_1)**40 * (x_1 + x_2)**40",
    "x_0^x_1^x_2^x_0^x_1",
    "exp(exp(exp(exp(x_0))))",
])
def test_check_formula_refuses_formulas_too_large_to_expand_at_once(formula) -> None:
    import time

    from autocnn.symbolic.formulas import check_formula

    start = time.perf_counter()
    report = check_formula(formula, lambda x: x.sum(), (3,))
    assert time.perf_counter() - start < 2.0
    assert report.status == "invalid"
    assert "too large" in report.message


def test_check_formula_has_a_time_limit(monkeypatch) -> None:
    from autocnn.symbolic import formulas

    monkeypatch.setattr(formulas, "_MAX_SECONDS", 0.05)
    # within the size bounds, but slower than the (lowered) time limit to compare
    report = formulas.check_formula("(x_0 + x_1 + x_2)**28", lambda x: x.sum(), (3,))
    assert report.status == "invalid"
    assert "took longer than 0.05 s" in report.message


def test_check_formula_still_proves_ordinary_formulas() -> None:
    from autocnn.symbolic.formulas import check_formula

    assert check_formula("1/3", lambda x: x.mean(), (3,))
    assert check_formula("2*(x_0 + x_1)**2", lambda x: ((x.sum()) ** 3 * 2 / 3), (2,))
    with pytest.raises(TypeError, match="check_formula: 'wrt'"):
        check_formula("1", lambda x: x.sum(), (2,), wrt=0)


@pytest.mark.parametrize(
    "returned", [None, "abc", (["a", "b", "c"],), 5j, {"x": 1}, ("x",)])
def test_check_backward_refuses_a_backward_that_returns_no_numbers(returned) -> None:
    from autocnn.symbolic.exercises import check_backward

    # the student's mistake is reported (a failed verdict naming it), never a traceback
    report = check_backward(lambda x: x * 2, lambda g, x: returned, shapes=[(3,)])
    assert not report
    assert "your code: the " in str(report)
    assert ("returned" in str(report)) or ("not an array of numbers" in str(report))


# ---------------------------------------------------------------------- layers and functional
@pytest.mark.parametrize("value", ["False", "no", 0, 1, None])
def test_training_flags_are_bools(value) -> None:
    x = ac.randn(4, 3)
    with pytest.raises(TypeError, match="dropout: 'training' must be a bool"):
        F.dropout(x, 0.5, training=value)
    with pytest.raises(TypeError, match="batch_norm: 'training' must be a bool"):
        F.batch_norm(x, None, None, training=value)
    with pytest.raises(TypeError, match="train: mode must be a bool"):
        nn.Linear(3, 3).train(value)
    bn = nn.BatchNorm1d(3)
    bn.training = value  # set behind train()'s back: the op still refuses it
    with pytest.raises(TypeError, match="batch_norm: 'training'"):
        bn(x)


@pytest.mark.parametrize("make", [
    lambda v: nn.Linear(2, 3, bias=v),
    lambda v: nn.Conv2d(1, 2, 3, bias=v),
    lambda v: nn.Conv1d(1, 2, 3, bias=v),
    lambda v: nn.ConvTranspose2d(1, 2, 3, bias=v),
])
def test_layer_bias_flags_are_bools(make) -> None:
    for value in ("no", "False", 0, None):
        with pytest.raises(TypeError, match="'bias' must be a bool"):
            make(value)
    assert make(False).bias is None


@pytest.mark.parametrize("shape", [(2, 1, 0, 3), (2, 1, 3, 0), (2, 1, 0, 0)])
def test_a_kernel_with_no_taps_is_refused_not_zeros(shape) -> None:
    x = ac.randn(1, 1, 4, 4)
    with pytest.raises(ValueError, match="conv2d: the kernel of 'weight' must be at least 1×1"):
        F.conv2d(x, ac.randn(*shape))
    with pytest.raises(ValueError, match="at least 1×1"):
        F.conv_transpose2d(x, ac.randn(1, 2, *shape[2:]))
    with pytest.raises(ValueError, match="at least 1×1"):
        F.conv1d(ac.randn(1, 1, 5), ac.randn(2, 1, 0))


@pytest.mark.parametrize("make, words", [
    (lambda: nn.Conv2d(1, 2, 0), "'kernel_size' must be positive"),
    (lambda: nn.Conv2d(1, 2, (0, 3)), "'kernel_size' must be positive"),
    (lambda: nn.Conv2d(1, -2, 3), "'out_channels' must be a positive int"),
    (lambda: nn.Linear(-1, 3), "'in_features' must be a positive int"),
    (lambda: nn.Linear(2.0, 3), "'in_features' must be a positive int"),
    (lambda: nn.BatchNorm2d(0), "'num_features' must be a positive int"),
    (lambda: nn.MaxPool2d(0), "'kernel_size' must be positive"),
    (lambda: F.avg_pool2d(ac.randn(1, 1, 4, 4), -1), "'kernel_size' must be positive"),
    (lambda: F.conv2d(ac.randn(1, 1, 4, 4), ac.randn(1, 1, 2, 2), stride=0),
     "'stride' must be positive"),
    (lambda: F.conv2d(ac.randn(1, 1, 4, 4), ac.randn(1, 1, 2, 2), padding=-1),
     "'padding' must be non-negative"),
    (lambda: nn.Linear(2, 2, dtype="not-a-dtype"), "Linear: dtype must be"),
])
def test_sizes_are_positive_ints(make, words) -> None:
    with pytest.raises((TypeError, ValueError), match=words):
        make()


@pytest.mark.parametrize("arg", ["shuffle", "drop_last"])
@pytest.mark.parametrize("value", ["no", "False", 1, None])
def test_dataloader_flags_are_bools(arg: str, value) -> None:
    from autocnn.data import ArrayDataset, DataLoader

    ds = ArrayDataset(np.zeros((4, 1, 2, 2), np.float32), np.arange(4))
    with pytest.raises(TypeError, match=f"DataLoader: '{arg}' must be a bool"):
        DataLoader(ds, batch_size=2, **{arg: value})


@pytest.mark.parametrize("value", ["no", "False", 0, None])
def test_load_state_dict_strict_is_a_bool(value) -> None:
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="load_state_dict: 'strict' must be a bool"):
        model.load_state_dict(model.state_dict(), strict=value)


def test_repr_summary_and_named_modules_of_a_cyclic_tree_name_the_cycle() -> None:
    inner = nn.Sequential(nn.Linear(2, 2))
    outer = nn.Sequential(inner)
    inner.back = outer
    for walk in (repr, lambda m: m.summary(), lambda m: list(m.named_modules()),
                 lambda m: list(m.parameters()), lambda m: m.train()):
        with pytest.raises(ValueError, match="the module tree has a cycle"):
            walk(outer)
    shared = nn.Linear(2, 2)
    dag = nn.Sequential(shared, shared)  # shared, not cyclic: still fine
    assert len(list(dag.named_modules())) == 2 and "Linear" in repr(dag)


# ---------------------------------------------------------------------- data
@pytest.mark.parametrize("images, words", [
    (np.array([[[[None, 1.0]]]], dtype=object), "holding None"),
    (np.array([[[["a", 1.0]]]], dtype=object), "holding 'a'"),
    (np.ones((1, 1, 2, 2)) * 1j, "complex dtype"),
    (np.array([[[["2024-01-01"]]]], dtype="datetime64[D]"), "datetime dtype"),
    (np.array([[[["x"]]]]), "string dtype"),
    (np.full((1, 1, 2, 2), np.nan), "must be finite"),
    (np.full((1, 1, 2, 2), np.inf), "must be finite"),
])
def test_array_dataset_refuses_images_that_are_not_real_numbers(images, words) -> None:
    from autocnn.data import ArrayDataset, DatasetError

    with pytest.raises(DatasetError, match=words):
        ArrayDataset(images, np.zeros(1, dtype=np.int64))


def test_array_dataset_still_takes_object_arrays_of_numbers() -> None:
    from autocnn.data import ArrayDataset

    ds = ArrayDataset(np.array([[[[1, 2.5]]]], dtype=object), np.zeros(1, dtype=np.int64))
    assert ds.images.dtype == np.float32 and ds.images[0, 0, 0, 1] == 2.5


def _mnist_folder(tmp_path, image_side: int, label_dtype=np.uint8):
    from autocnn.data import write_idx
    from autocnn.data.mnist import FILES

    images = np.zeros((3, image_side, image_side), np.uint8)
    labels = np.array([0, 1, 2], dtype=label_dtype)
    for stem, arr in zip(FILES, (images, labels, images, labels)):
        write_idx(tmp_path / stem, arr)
    return tmp_path


@pytest.mark.parametrize("side, label_dtype", [(14, np.uint8), (29, np.uint8),
                                               (28, np.int32)])
def test_load_mnist_checks_28_by_28_images_and_uint8_labels(tmp_path, side,
                                                           label_dtype) -> None:
    from autocnn.data import DatasetError, load_mnist

    folder = _mnist_folder(tmp_path, side, label_dtype)
    with pytest.raises(DatasetError, match=r"should (be a uint8 array of shape \(N, 28, 28\)|"
                                           r"have shape)"):
        load_mnist(folder)


def test_load_mnist_accepts_the_real_layout(tmp_path) -> None:
    from autocnn.data import load_mnist

    train, _ = load_mnist(_mnist_folder(tmp_path, 28))
    assert train.images.shape == (3, 1, 28, 28)


@pytest.mark.parametrize("shape", [(2**32 - 1, 2**32 - 1, 2**32 - 1, 2**32 - 1),
                                   (2**16, 2**16, 2**16), (2**32 - 1,) * 2])
def test_read_idx_refuses_header_sizes_that_overflow_or_are_huge(tmp_path, shape) -> None:
    import struct

    from autocnn.data import DatasetError, read_idx

    path = tmp_path / "bad-idx"
    path.write_bytes(bytes([0, 0, 0x08, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
                     + b"\0" * 16)
    with pytest.raises(DatasetError, match="corrupt"):
        read_idx(path)


def test_read_idx_names_extra_bytes_and_truncation(tmp_path) -> None:
    from autocnn.data import DatasetError, read_idx, write_idx

    path = write_idx(tmp_path / "ok-idx", np.arange(6, dtype=np.uint8).reshape(2, 3))
    np.testing.assert_array_equal(read_idx(path), np.arange(6).reshape(2, 3))
    data = path.read_bytes()
    path.write_bytes(data + b"\0")
    with pytest.raises(DatasetError, match="or more"):
        read_idx(path)
    path.write_bytes(data[:-1])
    with pytest.raises(DatasetError, match="corrupt"):
        read_idx(path)


@pytest.mark.parametrize("shapes_option", [{"n_train": 10**12}, {"n_train": "3"},
                                           {"image_size": 100_000}, {"seed": -1},
                                           {"noise": float("nan")}, {"n_test": 2.5}])
def test_shapes_options_are_validated_before_allocation(shapes_option) -> None:
    from autocnn.data import DatasetError, load_shapes

    with pytest.raises(DatasetError, match="shapes: "):
        load_shapes(**shapes_option)


@pytest.mark.parametrize("labels, predictions, words", [
    ([0, 5], [0, 1], "'labels' holds 5"),
    ([0, -1], [0, 1], "'labels' holds -1"),
    ([0, 1], [3, 1], "'predictions' holds 3"),
    ([0.5, 1], [0, 1], "integer class indices"),
])
def test_confusion_matrix_refuses_labels_out_of_range(labels, predictions, words) -> None:
    from autocnn.training import confusion_matrix

    with pytest.raises((ValueError, TypeError), match=words):
        confusion_matrix(np.array(labels), np.array(predictions), 3)
    np.testing.assert_array_equal(confusion_matrix(np.array([0, 2]), np.array([0, 1]), 3),
                                  [[1, 0, 0], [0, 0, 0], [0, 1, 0]])


# ---------------------------------------------------------------------- files and the CLI
@pytest.mark.parametrize("change, words", [
    ({"image_size": 100_000}, "'image_size' must be at most 1,024"),
    ({"image_size": "12"}, "'image_size' must be a positive integer"),
    ({"image_size": 12.5}, "'image_size' must be a positive integer"),
    ({"num_classes": True}, "'num_classes' must be a positive integer"),
    ({"in_channels": -1}, "'in_channels' must be a positive integer"),
    ({"model": ["seed"]}, "'model' must be a model name"),
    ({"dataset_options": [1, 2]}, "'dataset_options' must be an object"),
])
def test_values_read_from_model_json_are_validated(tmp_path, capsys, change, words) -> None:
    import json

    from autocnn.cli import main
    from autocnn.model_files import save_model
    from autocnn.models import build_model

    meta = {"model": "seed", "in_channels": 1, "image_size": 12, "num_classes": 4,
            "dataset": "shapes", "dataset_options": {}}
    path = save_model(build_model("seed", 1, 12, 4), tmp_path / "model.npz", meta)
    (tmp_path / "model.json").write_text(json.dumps({**meta, **change}))
    assert main(["evaluate", "--model", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, words", [
    (["--image-size", "100000"], "'image_size' must be at most 1,024"),
    (["--batch", "100000000"], "--batch must be between 1 and 64"),
    (["--image-size", "0"], "'image_size' must be a positive int"),
])
def test_cli_sizes_are_validated_before_allocation(tmp_path, capsys, argv, words) -> None:
    from autocnn.cli import main

    assert main(["graph", *argv, "--out", str(tmp_path / "g.svg")]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


def test_render_to_a_folder_path_is_a_clear_error(tmp_path) -> None:
    from autocnn import viz

    x = ac.tensor([1.0], requires_grad=True)
    loss = (x * 2).sum()
    (tmp_path / "pics.svg").mkdir()
    for target in (tmp_path, tmp_path / "pics.svg", f"{tmp_path}/new-folder/"):
        with pytest.raises(ValueError, match=r"render: .* is a folder"):
            viz.render(loss, target, format="dot")
    assert viz.render(loss, tmp_path / "g.dot", format="dot").read_text().startswith("digraph")


# ---------------------------------------------------------------------- shape methods
@pytest.mark.parametrize("call, words", [
    (lambda t: t.transpose("a"), "transpose: 'axes' must be an int"),
    (lambda t: t.transpose(0, None), "transpose: 'axes' must be an int"),
    (lambda t: t.unsqueeze(2.5), "unsqueeze: 'axis' must be an int"),
    (lambda t: t.unsqueeze(None), "unsqueeze: 'axis' must be an int"),
    (lambda t: t.broadcast_to(None), "broadcast_to: 'shape' must be a tuple"),
    (lambda t: t.broadcast_to((2.5, 3)), "broadcast_to: 'shape' must be a tuple"),
    (lambda t: t.broadcast_to("ab"), "broadcast_to: 'shape' must be a tuple"),
    (lambda t: t.pad(2.5), "pad: pad_width must hold"),
    (lambda t: t.pad(((1.5, 0), (0, 0))), "pad: pad_width must hold"),
    (lambda t: t.pad(((True, 0), (0, 0))), "pad: pad_width must hold"),
    (lambda t: t @ 2.0, "matmul: both operands need at least 1 axis"),
    (lambda t: 3 @ t, "matmul: both operands need at least 1 axis"),
    (lambda t: ac.arange(None), "arange: start, stop and step must be numbers"),
    (lambda t: ac.arange(0, 5, 0), "arange: cannot make a range"),
    (lambda t: ac.autograd.grad((t * 2).sum(), None), "grad: 'inputs' must be a Tensor"),
    (lambda t: ac.autograd.grad((t * 2).sum(), [t, 3]), r"grad: inputs\[1\] must be"),
    (lambda t: ac.autograd.gradcheck(lambda u: u, 2.5), "gradcheck: 'inputs' must be"),
])
def test_shape_methods_name_bad_arguments(call, words) -> None:
    t = ac.ones(2, 3, requires_grad=True)
    with pytest.raises((TypeError, ValueError), match=words):
        call(t)


@pytest.mark.parametrize("name, options, words", [
    ("shapes", {"foo": 1}, "unknown dataset option(s) foo; valid options are n_train"),
    ("mnist", {"n_train": 5}, "unknown dataset option(s) n_train"),
])
def test_unknown_dataset_options_are_named(name, options, words) -> None:
    from autocnn.data import DatasetError, load_dataset

    with pytest.raises(DatasetError) as info:
        load_dataset(name, **options)
    assert words in str(info.value)


@pytest.mark.parametrize("value", [None, "a", 1j, [1.0, None], b"1"])
def test_values_written_in_place_are_real_numbers(value) -> None:
    t = ac.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="setitem: the value must be real numbers"):
        t[0] = value
    with pytest.raises(TypeError, match="fill_: the value must be real numbers"):
        t.fill_(value)
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])  # None did not become NaN


@pytest.mark.parametrize("value", ["no", 0, None])
def test_module_and_optimizer_flags_are_bools(value) -> None:
    model = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="'recurse' must be a bool"):
        list(model.parameters(recurse=value))
    with pytest.raises(TypeError, match="zero_grad: 'set_to_none' must be a bool"):
        model.zero_grad(set_to_none=value)
    with pytest.raises(TypeError, match="zero_grad: 'set_to_none' must be a bool"):
        ac.optim.SGD(model.parameters(), lr=0.1).zero_grad(set_to_none=value)
    with pytest.raises(TypeError, match="requires_grad"):
        model.requires_grad_(value)
    with pytest.raises(TypeError, match=r"Sequential.to: dtype must be"):
        model.to("not-a-dtype")
