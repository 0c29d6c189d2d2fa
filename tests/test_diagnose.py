"""autocnn.diagnose: each classic mistake gets its verdict, and only that one.

Every run is seeded and short (the lesson's CNN on 12×12 shapes, 30 steps), with OpenBLAS
on one thread: these matrices are small, and on a busy machine more threads only wait for
each other.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import autocnn as ac
from autocnn import functional as F
from autocnn import nn, optim
from autocnn.data import DataLoader, load_shapes
from autocnn.diagnose import CHECKS, CODES, Finding, Monitor, diagnose
from autocnn.diagnose.plots import PLOTS, plot
from autocnn.models import build_model

STEPS, EVERY = 30, 5


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    from autocnn.training import limit_blas_threads

    previous = limit_blas_threads(1)["previous"]
    yield
    if previous:
        limit_blas_threads(previous)


@pytest.fixture(scope="module")
def shapes():
    return load_shapes(n_train=256, n_test=8, image_size=12, seed=0).train


def _model(shapes, seed=0):
    ac.manual_seed(seed)
    return build_model("seed", in_channels=1, image_size=12, num_classes=shapes.num_classes)


def _diagnose(model, data, lr=0.005):
    return diagnose(model, data, optim.Adam(model.parameters(), lr=lr), steps=STEPS,
                    every=EVERY)


# ------------------------------------------------------------------- the seeded bad runs
def test_a_healthy_run_gets_no_finding(shapes):
    report = _diagnose(_model(shapes), shapes)
    assert report.codes == [], report.text()
    assert report.healthy and "no problems found" in report.text()


def test_zero_init_is_found_as_constant_weights(shapes, tmp_path):
    model = _model(shapes)
    for p in model.parameters():
        p.data[...] = 0
    report = _diagnose(model, shapes)
    assert report.codes == ["weights_constant"], report.text()
    assert "0.weight, 4.weight, 9.weight" in report.findings[0].evidence
    # nothing moves and every value is 0: the pictures still draw (and say so)
    assert len([n for n in report.save(tmp_path) if n.endswith(".png")]) == len(PLOTS)


def test_init_times_ten_is_found_by_the_initial_loss(shapes):
    model = _model(shapes)
    for p in model.parameters():
        if p.ndim >= 2:
            p.data *= 10
    report = _diagnose(model, shapes)
    assert report.codes == ["initial_loss_high"], report.text()
    loss = report.checks["initial_loss"]
    assert loss["loss"] > 2 * math.log(shapes.num_classes)


def test_learning_rate_times_100_is_too_high(shapes):
    report = _diagnose(_model(shapes), shapes, lr=0.5)
    assert report.codes == ["lr_too_high"], report.text()
    finding = report.findings[0]
    assert "far above 10^-3.0" in finding.evidence
    assert "lower the learning rate ~100×" in finding.advice


def test_learning_rate_divided_by_10_000_is_too_low(shapes):
    report = _diagnose(_model(shapes), shapes, lr=0.005 / 1e4)
    assert report.codes == ["lr_too_low"], report.text()
    assert report.findings[0].advice.startswith("raise the learning rate ~")


def test_inputs_in_0_to_255_are_unnormalised(shapes):
    report = _diagnose(_model(shapes), (shapes.images * 255, shapes.labels))
    assert report.codes == ["inputs_unnormalised"], report.text()
    assert "divide by 255" in report.findings[0].advice


def test_a_dead_relu_net_is_found(shapes):
    model = _model(shapes)
    for name in ("1.bias", "5.bias"):  # batch norm shifts every ReLU input far below 0
        dict(model.named_parameters())[name].data[...] = -3
    report = _diagnose(model, shapes)
    assert report.codes == ["dead_relu"], report.text()
    assert report.findings[0].where == "2"


def _own_loop(model, shapes, zero_grad: bool, optimizer=None) -> Monitor:
    optimizer = optimizer or optim.Adam(model.parameters(), lr=0.005)
    loader = DataLoader(shapes, batch_size=32, shuffle=True)
    monitor = Monitor(model, optimizer, every=EVERY, num_classes=shapes.num_classes)
    with monitor:
        for step, (images, labels) in enumerate(loader):
            if zero_grad or step == 0:
                optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            monitor.step(loss)
    return monitor


def test_a_forgotten_zero_grad_is_found_in_the_users_own_loop(shapes):
    report = _own_loop(_model(shapes), shapes, zero_grad=False).report()
    assert report.codes == ["grad_accumulation"], report.text()
    assert "zero_grad()" in report.findings[0].advice


def test_the_users_own_healthy_loop_gets_no_finding(shapes):
    monitor = _own_loop(_model(shapes), shapes, zero_grad=True)
    assert monitor.report().codes == []
    assert monitor.steps == list(range(0, 8, EVERY))


def test_gradient_accumulation_over_micro_batches_is_not_a_forgotten_zero_grad(shapes):
    model = _model(shapes)
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    monitor = Monitor(model, optimizer, every=1)
    with monitor:
        for start in range(0, 128, 32):
            optimizer.zero_grad()
            for half in (0, 16):  # two backward passes, one step: deliberate accumulation
                images = ac.tensor(shapes.images[start + half:start + half + 16])
                loss = F.cross_entropy(model(images),
                                       ac.tensor(shapes.labels[start + half:start + half + 16]))
                loss.backward()
            optimizer.step()
            monitor.step(loss)
    assert monitor.accumulated == {}


def test_the_first_module_producing_inf_is_named():
    ac.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.Linear(3, 2))
    model[1].weight.data[...] = 1.0
    model[2].weight.data[...] = 3e38  # 3 · 4 · 3e38 overflows float32 in this layer
    images = np.ones((4, 1, 2, 2), dtype=np.float32)
    labels = np.array([0, 1, 0, 1])
    report = diagnose(model, (images, labels), steps=3, every=1, checks=("training",))
    assert report.codes == ["nonfinite"], report.text()
    finding = report.findings[0]
    assert finding.where == "2 (Linear)" and finding.step == 0
    assert "anomaly mode" in finding.evidence


def test_tanh_saturation_is_measured_and_judged():
    ac.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 2))
    model[0].weight.data *= 50
    x = ac.tensor(np.random.default_rng(0).normal(size=(64, 8)).astype(np.float32))
    y = ac.tensor(np.arange(64) % 2)
    monitor = Monitor(model, every=1)
    with monitor:
        F.cross_entropy(model(x), y).backward()
        monitor.step()
    saturated = monitor.layers["1"]["records"][0]["saturated"]
    assert saturated == pytest.approx(np.mean(np.abs(np.tanh(
        x.data @ model[0].weight.data.T + model[0].bias.data)) > 0.97))
    assert "saturated" in [f.code for f in monitor.findings()]


# --------------------------------------------------------------------- the measurements
def test_update_and_grad_ratios_are_log10_of_the_stds():
    ac.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 3))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    x, y = ac.randn(8, 5), ac.tensor(np.arange(8) % 3)
    monitor = Monitor(model, optimizer, every=1)
    with monitor:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        grad = model[0].weight.grad.data.copy()
        w = model[0].weight.data.copy()  # the ratios are relative to the weight before
        optimizer.step()
        monitor.step()
    record = monitor.params["0.weight"][0]
    assert record["update_data"] == pytest.approx(np.log10(np.std(0.1 * grad) / np.std(w)),
                                                  rel=1e-5)
    assert record["grad_data"] == pytest.approx(np.log10(np.std(grad) / np.std(w)), rel=1e-5)


def test_dead_fraction_counts_units_that_are_zero_for_every_image():
    model = nn.Sequential(nn.ReLU())
    x = ac.tensor(np.array([[1.0, -1.0, -2.0, 0.5], [-1.0, -1.0, -3.0, 0.5]]),
                  requires_grad=True)
    monitor = Monitor(model, every=1)
    with monitor:
        model(x).sum().backward()
        monitor.step()
    assert monitor.layers["0"]["records"][0]["dead"] == 0.5  # units 1 and 2 of 4


def test_diagnose_leaves_the_model_and_the_optimizer_unchanged(shapes):
    model = _model(shapes)
    optimizer = optim.Adam(model.parameters(), lr=0.005)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    diagnose(model, shapes, optimizer, steps=5, every=2, overfit_steps=5)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert optimizer.state == {} and all(p.grad is None for p in model.parameters())


def test_detach_removes_every_hook(shapes):
    model = _model(shapes)
    monitor = Monitor(model, every=1).attach()
    monitor.detach()
    F.cross_entropy(model(ac.tensor(shapes.images[:4])), ac.tensor(shapes.labels[:4])).backward()
    assert monitor.layers == {} and not monitor.attached


# ------------------------------------------------------------------------- the outputs
def test_save_writes_text_json_and_every_picture(shapes, tmp_path):
    model = _model(shapes)
    report = diagnose(model, shapes, optim.Adam(model.parameters(), lr=0.5), steps=10,
                      every=5, overfit_steps=5)
    names = report.save(tmp_path)
    assert names == ["diagnosis.txt", "diagnosis.json"] + [f"{p}.png" for p in PLOTS]
    def refuse(constant):  # NaN/Infinity are not JSON: other readers reject them
        raise AssertionError(f"diagnosis.json holds {constant}")

    payload = json.loads((tmp_path / "diagnosis.json").read_text(), parse_constant=refuse)
    assert payload["healthy"] is False
    assert [f["code"] for f in payload["findings"]] == report.codes
    assert payload["training"]["steps"] == [0, 5]
    assert (tmp_path / "diagnosis.txt").read_text() == report.text()
    for name in PLOTS:
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_code_has_an_explanation_and_findings_reject_unknown_codes():
    assert all(isinstance(text, str) and text for text in CODES.values())
    with pytest.raises(ValueError, match="valid codes are inputs_unnormalised"):
        Finding("lr_too_big", "evidence", "advice")


# ---------------------------------------------------------------------------- bad input
def test_an_unknown_check_lists_the_valid_ones(shapes):
    with pytest.raises(ValueError, match="unknown check.*'speed'.*valid checks are " +
                       ", ".join(CHECKS)):
        diagnose(_model(shapes), shapes, checks=("inputs", "speed"))


def test_an_unknown_picture_lists_the_valid_ones(shapes):
    monitor = _own_loop(_model(shapes), shapes, zero_grad=True)
    with pytest.raises(ValueError, match="valid pictures are activations, gradients"):
        plot(monitor, "loss", "x.png")


@pytest.mark.parametrize("bad, message", [
    ({"every": 0}, "'every' to be an int >= 1, got 0"),
    ({"num_classes": 1}, "'num_classes' to be an int >= 2"),
])
def test_monitor_rejects_bad_settings(shapes, bad, message):
    with pytest.raises(ValueError, match=message):
        Monitor(_model(shapes), **bad)


def test_diagnose_rejects_data_it_cannot_read(shapes):
    with pytest.raises(TypeError, match="'data' must be an ArrayDataset"):
        diagnose(_model(shapes), [1, 2, 3])
    with pytest.raises(ValueError, match="'steps' to be an int >= 1, got 0"):
        diagnose(_model(shapes), shapes, steps=0)


# ------------------------------------------------------------ the other verdicts, alone
def test_a_deep_sigmoid_stack_has_vanishing_gradients():
    ac.manual_seed(0)
    layers = []
    for _ in range(8):  # each sigmoid multiplies the gradient by at most 1/4
        layers += [nn.Linear(16, 16), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(16, 2))
    x = ac.tensor(np.random.default_rng(0).normal(size=(64, 16)).astype(np.float32))
    monitor = Monitor(model, every=1)
    with monitor:
        F.cross_entropy(model(x), ac.tensor(np.arange(64) % 2)).backward()
        monitor.step()
    assert [f.code for f in monitor.findings()] == ["vanishing_gradients"]
    assert monitor.findings()[0].where == "0.weight"


def test_a_jump_of_the_loss_is_a_spike_and_noise_is_not():
    model = nn.Sequential(nn.Linear(2, 2))
    noisy = [1.0 + 0.3 * np.sin(i) for i in range(30)]
    with Monitor(model, every=100) as calm:
        for value in noisy:
            calm.step(value)
    assert "loss_spike" not in [f.code for f in calm.findings()]
    with Monitor(model, every=100) as spiky:
        for value in [*noisy[:25], 4.0, *noisy[26:]]:
            spiky.step(value)
    spikes = [f for f in spiky.findings() if f.code == "loss_spike"]
    assert len(spikes) == 1 and spikes[0].step == 25


def test_a_model_ending_in_softmax_is_told_to_drop_it(shapes):
    ac.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(144, shapes.num_classes), nn.Softmax())
    report = diagnose(model, shapes, checks=("weights",))
    assert report.codes == ["softmax_before_loss"]
    assert "remove the Softmax (2)" in report.findings[0].advice


def test_an_initial_loss_far_below_ln_c_is_suspicious():
    from autocnn.diagnose.checks import judge_initial_loss

    assert [f.code for f in judge_initial_loss(0.1, 10)] == ["initial_loss_low"]
    assert judge_initial_loss(math.log(10), 10) == []


def test_diagnose_of_a_watched_model_does_not_feed_the_watching_monitor(shapes):
    model = _model(shapes)
    with Monitor(model, every=1) as watching:
        diagnose(model, shapes, steps=3, every=1, overfit_steps=3)
    assert watching.layers == {} and watching.step_count == 0


def test_another_loss_is_not_judged_against_ln_c(shapes):
    model = _model(shapes)
    for p in model.parameters():
        if p.ndim >= 2:
            p.data *= 10

    def doubled(logits, labels):
        return F.cross_entropy(logits, labels) * 2

    report = diagnose(model, shapes, loss_fn=doubled, checks=("initial_loss",))
    assert report.codes == [] and report.checks["initial_loss"]["loss"] > 10


def test_in_the_users_loop_the_inf_is_traced_to_its_primitive():
    ac.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.Linear(3, 2))
    model[1].weight.data[...] = 1.0
    model[2].weight.data[...] = 3e38
    monitor = Monitor(model, every=1)
    with monitor, np.errstate(all="ignore"):
        loss = F.cross_entropy(model(ac.ones(4, 1, 2, 2)), ac.tensor([0, 1, 0, 1]))
        monitor.step(loss)
    (finding,) = [f for f in monitor.findings() if f.code == "nonfinite"]
    assert finding.where == "2 (Linear)"
    assert "anomaly mode:" in finding.evidence and "MatMul" in finding.evidence


def test_a_step_without_the_hooks_warns_once():
    monitor = Monitor(nn.Sequential(nn.Linear(2, 2)), every=1)
    with pytest.warns(UserWarning, match="hooks are not installed"):
        monitor.step(1.0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        monitor.step(1.0)


def test_without_batch_norm_raw_pixels_are_one_verdict_that_explains_the_rest(shapes):
    ac.manual_seed(0)
    model = build_model("lenet", in_channels=1, image_size=12, num_classes=shapes.num_classes)
    report = _diagnose(model, (shapes.images * 255, shapes.labels))
    assert report.codes == ["inputs_unnormalised"], report.text()
    explained = [e["code"] for e in report.findings[0].values.get("explains", [])]
    assert "initial_loss_high" in explained  # 255× larger inputs: 255× larger logits
