"""Make docs/img/netron-seed.png: the seed CNN exported by autocnn.onnx.export, opened in Netron.

A maintenance script for the docs, not part of the library or the tests. It needs the
`netron` package (``pip install netron``: a local web viewer, served from this machine) and
Chromium with its driver (Debian packages ``chromium`` and ``chromium-driver``); it trains
nothing, so the weights are the seeded initial ones — the picture shows the graph.

    python docs/make_netron_screenshot.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
PORT = 8731


def main() -> None:
    """Export, serve with Netron, screenshot with headless Chromium."""
    import netron
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    import autocnn as ac
    from autocnn import onnx as ac_onnx
    from autocnn.files import atomic_write
    from autocnn.models import build_model

    ac.manual_seed(0)
    model = build_model("seed", in_channels=1, image_size=12, num_classes=5)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "seed_cnn.onnx"
        ac_onnx.export(model, np.zeros((1, 1, 12, 12), np.float32), path)
        netron.serve(str(path), None, address=("localhost", PORT), browse=False)
        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--window-size=520,1060"):
            options.add_argument(flag)
        options.binary_location = "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(f"http://localhost:{PORT}/")
            time.sleep(2)
            for button in driver.find_elements(By.TAG_NAME, "button"):
                if button.is_displayed() and button.text.strip().lower() == "accept":
                    button.click()  # Netron's one-time notice about its usage reports
            time.sleep(3)
            png = driver.get_screenshot_as_png()
        finally:
            driver.quit()
            netron.stop(("localhost", PORT))
    atomic_write(HERE / "img" / "netron-seed.png", png)
    print(f"wrote {HERE / 'img' / 'netron-seed.png'}")


if __name__ == "__main__":
    main()
