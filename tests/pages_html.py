"""Checks shared by the tests of the HTML pages (report.html, explain.html): without a
browser they are all there is, so they check what a browser would need."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

#: elements that have no end tag in HTML
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "path", "circle", "line", "rect", "polyline", "polygon", "ellipse",
        "stop", "use"}


class _Checker(HTMLParser):
    """Records the tags, the attributes that could load something, and nesting errors."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: dict[str, int] = {}
        self.urls: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.ids: set[str] = set()
        self._script: dict[str, str | None] | None = None
        self._text: list[str] = []
        self.meta: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for key in ("src", "href", "xlink:href", "action", "data"):
            v = a.get(key)
            if v is not None and not v.startswith(("#", "data:")):
                self.urls.append(v)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "meta":
            self.meta.append(a)
        if tag == "script":
            self._script, self._text = a, []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)


def check_page(text: str) -> _Checker:
    """Parse a page and assert it is one well-formed, offline file; the parse result."""
    assert text.startswith("<!DOCTYPE html>")
    p = _Checker()
    p.feed(text)
    p.close()
    assert not p.errors, p.errors[:5]
    assert p.stack == [], p.stack
    assert p.urls == [], p.urls[:5]  # nothing to fetch: every image is a data: URI
    assert not re.search(r"""url\(\s*['"]?(?!data:|#)""", text)  # no CSS url() to fetch
    assert not re.search(r"@import|https?://(?!www\.w3\.org/)", text.replace(
        "https://graphviz.org/download/", ""))
    csp = [m.get("content") or "" for m in p.meta
           if (m.get("http-equiv") or "").lower() == "content-security-policy"]
    assert csp and csp[0].startswith("default-src 'none'"), csp
    for attrs, _ in p.scripts:
        assert "src" not in attrs
    return p


def embedded_json(checker: _Checker, element_id: str) -> object:
    """The JSON of ``<script type="application/json" id=element_id>``, parsed."""
    for attrs, body in checker.scripts:
        if attrs.get("id") == element_id:
            assert attrs.get("type") == "application/json"
            return json.loads(body)
    raise AssertionError(f"no embedded JSON with id {element_id!r}")


# ------------------------------------------------------------------------- the browser
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser_or_skip():
    """A headless Chromium driven by Selenium with the system chromedriver, or a skip
    naming what is missing (the HTML checks above still run without it)."""
    import os

    import pytest

    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    if missing:
        pytest.skip(f"no browser for the page tests: {', '.join(missing)} missing")
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def open_page(driver, path) -> float:
    """Load a page from its file:// URL and wait for its script; the seconds it took."""
    import time

    start = time.perf_counter()
    driver.get(path.resolve().as_uri())
    driver.execute_script("return document.readyState")
    return time.perf_counter() - start


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def fetched(driver) -> list[str]:
    """Every resource the page requested beyond itself (must stay empty)."""
    return driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith('data:'))")


def screenshot_is_not_blank(driver) -> bool:
    import io

    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("L")
    return ImageStat.Stat(image).stddev[0] > 10
