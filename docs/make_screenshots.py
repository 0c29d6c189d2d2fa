"""Make the screenshots of the two HTML pages shown in docs/getting-started.md.

    python docs/make_screenshots.py            # writes docs/img/*.png

Trains the default run (the seed CNN on shapes, as `autocnn train` does), writes its
report.html and an explain.html of four test images into a temporary folder, opens each
in headless Chromium (Selenium with the system chromedriver, as the page tests do) and
saves screenshots: the report's top and its feature maps, and the explainer with one
feature-map entry clicked (the formula view), then in gradients mode with Grad-CAM.
Needs /usr/bin/chromium and /usr/bin/chromedriver.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pages_html import browser_or_skip  # noqa: E402  (after the path is set)


def main() -> int:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    import autocnn as ac
    from autocnn import explain, optim
    from autocnn.data import load_shapes
    from autocnn.models import build_model
    from autocnn.report import write_report
    from autocnn.training import fit

    out = ROOT / "docs" / "img"
    out.mkdir(exist_ok=True)
    ac.manual_seed(0)
    train, test = load_shapes(n_train=3000, n_test=1000, image_size=12, seed=0)
    model = build_model("seed", image_size=12, num_classes=train.num_classes)
    history = fit(model, train, optim.Adam(model.parameters(), lr=0.005), epochs=5,
                  test_data=test, batch_size=32, lr_schedule="cosine", progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        report = write_report(Path(tmp) / "report.html", model, history, test,
                              {"dataset": "shapes", "model": "seed", "epochs": 5,
                               "batch_size": 32, "optimizer": "adam", "lr": 0.005})
        page = explain.page(model, test.images[:4], Path(tmp) / "explain.html",
                            labels=test.labels[:4], classes=test.classes)
        driver = browser_or_skip()
        try:
            driver.set_window_size(1400, 1000)
            driver.get(report.resolve().as_uri())
            driver.save_screenshot(str(out / "report.png"))
            driver.execute_script(
                "document.getElementById('feature-maps').scrollIntoView()")
            driver.save_screenshot(str(out / "report-feature-maps.png"))
            driver.get(page.resolve().as_uri())
            canvas = driver.find_element(
                By.CSS_SELECTOR, 'canvas.map[data-layer="0"][data-channel="3"]')
            ActionChains(driver).move_to_element_with_offset(canvas, 3, 3).click().perform()
            time.sleep(0.2)
            driver.save_screenshot(str(out / "explain.png"))
            driver.find_element(By.ID, "mode-grads").click()
            driver.find_element(By.ID, "overlay-gradcam").click()
            canvas = driver.find_element(
                By.CSS_SELECTOR, 'canvas.map[data-layer="0"][data-channel="3"]')
            ActionChains(driver).move_to_element_with_offset(canvas, 3, 3).click().perform()
            time.sleep(0.2)
            driver.save_screenshot(str(out / "explain-gradients.png"))
        finally:
            driver.quit()
    for name in ("report.png", "report-feature-maps.png", "explain.png",
                 "explain-gradients.png"):
        print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
