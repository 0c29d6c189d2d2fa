"""report.html and explain.html: well-formed offline files with their data, and — in a
real headless Chromium when it is installed — pages that load from file:// without an
error or a request, draw something, and show the numbers the library computes."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn.data import load_shapes
from autocnn.models import build_model
from tests.pages_html import (
    browser_or_skip,
    check_page,
    console_errors,
    embedded_json,
    fetched,
    open_page,
    screenshot_is_not_blank,
)

explain = pytest.importorskip("autocnn.explain")
HAS_EXPLAIN = hasattr(explain, "explain_output")
needs_explain = pytest.mark.skipif(not HAS_EXPLAIN, reason="autocnn.explain core not merged")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A seed CNN (12×12, 5 classes) after a few steps on shapes, its test images, and
    both pages written for it."""
    from autocnn import optim
    from autocnn.report import write_report
    from autocnn.training import fit

    ac.manual_seed(0)
    train, test = load_shapes(n_train=300, n_test=100, image_size=12, seed=0)
    model = build_model("seed", image_size=12, num_classes=5)
    history = fit(model, train, optim.Adam(model.parameters(), lr=0.01), epochs=1,
                  test_data=test, batch_size=50, progress=False)
    folder = tmp_path_factory.mktemp("pages")
    report = write_report(folder / "report.html", model, history, test, {"epochs": 1})
    pages = {"report": report, "model": model, "test": test}
    if HAS_EXPLAIN:
        pages["explain"] = explain.page(model, test.images[:4], folder / "explain.html",
                                        labels=test.labels[:4], classes=test.classes)
    return pages


@pytest.fixture(scope="module")
def driver():
    d = browser_or_skip()
    yield d
    d.quit()


# ---------------------------------------------------------------- without a browser
def test_the_report_is_well_formed_and_offline(run) -> None:
    page = check_page(run["report"].read_text(encoding="utf-8"))
    assert {"curves", "filters", "confusion", "mistakes"} <= page.ids


@needs_explain
def test_the_explain_page_is_well_formed_and_carries_its_data(run) -> None:
    page = check_page(run["explain"].read_text(encoding="utf-8"))
    data = embedded_json(page, "explain-data")
    assert [L["path"] for L in data["layers"]][:3] == ["0", "1", "2"]
    assert len(data["images"]) == 4 and data["classes"][0] == "x"
    first = data["images"][0]
    assert abs(sum(first["probs"]) - 1) < 1e-5
    assert {"acts", "grads", "saliency", "gradcam", "inputs"} <= set(first)
    assert first["inputs"]["0"] == {"ref": "@pixels"}  # the first conv reads the image


@needs_explain
def test_a_page_of_100_images_stays_under_5_mb(run, tmp_path) -> None:
    path = explain.page(run["model"], run["test"].images[:100], tmp_path / "e100.html")
    assert path.stat().st_size < 5_000_000
    run["explain100"] = path


# ---------------------------------------------------------------- in a real browser
def test_the_report_loads_offline_and_shows_its_sections(run, driver) -> None:
    from selenium.webdriver.common.by import By

    open_page(driver, run["report"])
    assert console_errors(driver) == []
    assert fetched(driver) == []
    assert screenshot_is_not_blank(driver)
    for key in ("curves", "parameters", "filters", "confusion", "mistakes"):
        assert driver.find_element(By.ID, key).is_displayed()
    assert "8·1·3·3 + 8 = 80" in driver.find_element(By.ID, "parameters").text


def _click_entry(driver, layer: str, channel: int, i: int, j: int) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    canvas = driver.find_element(
        By.CSS_SELECTOR, f'canvas.map[data-layer="{layer}"][data-channel="{channel}"]')
    w, h = canvas.size["width"], canvas.size["height"]
    cols, rows = (driver.execute_script(f"return [arguments[0].{k}]", canvas)[0]
                  for k in ("width", "height"))
    dx, dy = (j + 0.5) * w / cols - w / 2, (i + 0.5) * h / rows - h / 2
    ActionChains(driver).move_to_element_with_offset(canvas, dx, dy).click().perform()


@needs_explain
def test_the_explain_page_shows_the_formula_of_a_clicked_entry(run, driver) -> None:
    from selenium.webdriver.common.by import By

    open_page(driver, run["explain"])
    assert console_errors(driver) == [] and fetched(driver) == []
    assert screenshot_is_not_blank(driver)
    for element in ("input-image", "probs", "layers", "formula"):
        assert driver.find_element(By.ID, element).is_displayed()
    model, image = run["model"], run["test"].images[0]
    for layer, index in (("0", (2, 5, 7)), ("4", (11, 0, 3))):
        _click_entry(driver, layer, *index)
        title = driver.find_element(By.ID, "formula-title")
        assert title.get_attribute("data-index") == ",".join(map(str, index))
        shown = float(driver.find_element(By.ID, "formula-sum").get_attribute("data-value"))
        expected = explain.explain_output(model, image, layer, index)
        assert shown == pytest.approx(float(expected.value), rel=1e-4, abs=1e-5)
        assert shown == pytest.approx(float(expected.sum), rel=1e-4, abs=1e-5)


@needs_explain
def test_the_gradients_toggle_writes_out_a_weight_gradient(run, driver) -> None:
    from selenium.webdriver.common.by import By

    from autocnn.autograd.tensor import Tensor

    open_page(driver, run["explain"])
    driver.find_element(By.ID, "mode-grads").click()
    _click_entry(driver, "0", 3, 4, 4)
    shown = float(driver.find_element(By.ID, "grad-sum").get_attribute("data-value"))
    model, image = run["model"], run["test"].images[0]
    model.eval()
    model.zero_grad()
    logits = model(Tensor(image[None]))
    target = int(np.argmax(logits.data[0]))
    logits[0, target].backward()  # the engine's own d score / d weight
    expected = float(model[0].weight.grad.data[3, 0, 1, 1])
    model.zero_grad()
    assert shown == pytest.approx(expected, rel=1e-3, abs=1e-6)
    assert console_errors(driver) == []


@needs_explain
def test_switching_images_changes_the_probabilities(run, driver) -> None:
    from selenium.webdriver.common.by import By

    open_page(driver, run["explain"])
    before = driver.find_element(By.ID, "probs").text
    driver.find_element(By.ID, "next").click()
    after = driver.find_element(By.ID, "probs")
    assert after.get_attribute("data-image") == "1" and after.text != before
    driver.find_element(By.ID, "overlay-gradcam").click()
    assert driver.find_element(By.ID, "overlay").is_displayed()
    assert console_errors(driver) == []


@needs_explain
def test_the_page_of_100_images_opens_in_under_2_seconds(run, driver, tmp_path) -> None:
    from selenium.webdriver.common.by import By

    path = run.get("explain100") or explain.page(run["model"], run["test"].images[:100],
                                                 tmp_path / "e100.html")
    seconds = open_page(driver, path)
    assert driver.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1"
    assert seconds < 2.0
    assert console_errors(driver) == []


@needs_explain
def test_in_jupyter_the_page_shows_inline_in_an_iframe(run, monkeypatch) -> None:
    import html as html_module

    ipython_display = pytest.importorskip("IPython.display")
    shown = []
    monkeypatch.setattr(ipython_display, "display", shown.append)
    explain.show(run["model"], run["test"].images[:2])
    assert len(shown) == 1 and shown[0].data.startswith("<iframe srcdoc=")
    doc = html_module.unescape(shown[0].data.split('srcdoc="', 1)[1].split('" style=')[0])
    check_page(doc)


@needs_explain
@pytest.mark.parametrize("name", ["lenet", "resnet_small"])
def test_the_page_works_for_other_built_in_models(name, tmp_path) -> None:
    ac.manual_seed(0)
    model = build_model(name, image_size=12, num_classes=3)
    images = np.random.default_rng(0).random((2, 1, 12, 12)).astype(np.float32)
    page = check_page(explain.page(model, images, tmp_path / "e.html").read_text())
    data = embedded_json(page, "explain-data")
    convs = [L for L in data["layers"] if L["type"] == "Conv2d"]
    assert convs and all("weight" in L for L in convs)
    inputs = data["images"][0]["inputs"]
    assert all(path in inputs for path in (L["path"] for L in convs))  # every formula has x
    assert data["gradcam_layer"] == convs[-1]["path"]
