"""The course's web site opened from disk in headless Chromium with the network off.

Part of ``make test`` wherever Debian's Chromium is installed (``apt-get install chromium``); without
it the test is skipped with one line saying so. The ``playwright`` package drives that browser and
never downloads one of its own. The browser's context is offline, and every request it makes is
recorded: a page may load nothing but files of the site.

1. **Every formula of every lesson is typeset.** Each lesson's text is rendered into a page (the
   formulas are all in the text, so the lessons need not run for this) beside the site's own
   ``static/`` folder, as ``make html`` writes it. On each page MathJax must typeset exactly as many
   formulas as the lesson's markdown holds (counted here, independently of MathJax), with no
   MathJax error, and no ``$``, ``\\(`` or ``\\[`` may be left in the page's text outside code.
2. **Sliders move without a kernel.** Lesson 01 is built for real (executed, its slider's frames
   drawn); pressing the arrow keys on its page's slider shows another picture, loaded from disk.
"""

import json
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from browser import launch, playwright_or_skip

from coursebook.build import PACKAGE, STATIC, build_site, exporter, render_page
from coursebook.lessons import find_lessons

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SLIDER_LESSON = "01-perceptrons-and-sigmoid-neurons"

sync_api = playwright_or_skip("the offline site test")

# Math in a lesson's markdown, as MathJax finds it: $$...$$ and \[...\] (display), $...$ and
# \(...\) (inline), with code spans and fenced code left out (MathJax skips <code> and <pre>).
FENCED = re.compile(r"^```.*?^```", re.S | re.M)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
FORMULA = re.compile(r"\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)|(?<![\\$])\$(?!\$).+?(?<![\\$])\$", re.S)

# The text of the page outside code and typeset math, each text node on its own.
LEFT_OVER = """() => {
  const skip = new Set(["PRE", "CODE", "SCRIPT", "STYLE", "TEXTAREA", "MJX-CONTAINER"]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode(node) {
    for (let e = node.parentElement; e; e = e.parentElement) {
      if (skip.has(e.tagName)) return NodeFilter.FILTER_REJECT;
    }
    return NodeFilter.FILTER_ACCEPT;
  }});
  const found = [];
  while (walker.nextNode()) {
    const text = walker.currentNode.nodeValue;
    if (/\\$|\\\\\\(|\\\\\\[|\\\\begin\\{/.test(text)) found.push(text.trim().slice(0, 80));
  }
  return found;
}"""
TYPESET = """async () => {
  await MathJax.startup.promise;
  return {typeset: document.querySelectorAll("mjx-container").length,
          errors: document.querySelectorAll("[data-mml-node=merror]").length};
}"""


def formulas(notebook):
    """How many formulas MathJax should find in the notebook's markdown cells."""
    count = 0
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            text = CODE_SPAN.sub("", FENCED.sub("", cell.source))
            count += len(FORMULA.findall(text))
    return count


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def offline(browser):
    """An offline page, and the list of every address it requested."""
    context = browser.new_context(offline=True)
    requested = []
    context.on("request", lambda request: requested.append(request.url))
    try:
        yield context.new_page(), requested
    finally:
        context.close()


def _open(page, path):
    page.goto(path.as_uri())
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise",
                           timeout=30_000)
    return page.evaluate(TYPESET)


@pytest.mark.slow
def test_every_formula_of_every_lesson_is_typeset_offline(tmp_path, offline):
    page, requested = offline
    shutil.copytree(PACKAGE / "static", tmp_path / STATIC)
    html_exporter = exporter()
    report, started = [], time.monotonic()
    for lesson in find_lessons(NOTEBOOKS):
        notebook = nbformat.read(lesson.path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        path = tmp_path / lesson.page
        path.write_text(render_page(notebook, lesson.title, html_exporter), encoding="utf-8")
        expected = formulas(notebook)
        result = _open(page, path)
        assert result == {"typeset": expected, "errors": 0}, f"{lesson.page}: {result}, expected {expected}"
        left = page.evaluate(LEFT_OVER)
        assert left == [], f"{lesson.page}: LaTeX left untypeset: {left[:5]}"
        report.append(f"{lesson.path.stem[:2]}: {expected}")
    assert all(url.startswith("file://") for url in requested), \
        [url for url in requested if not url.startswith("file://")]
    print(f"\nformulas typeset offline in {time.monotonic() - started:.0f} s: {', '.join(report)}")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "html"
    build_site(NOTEBOOKS, out, names=[SLIDER_LESSON], budget=9, log=lambda line: None)
    return out


FRAME = """() => {
  const img = document.querySelector(".coursebook-frames .coursebook-frame img");
  return {src: img.getAttribute("src"), loaded: img.complete && img.naturalWidth > 0,
          readouts: Array.from(document.querySelectorAll(".coursebook-frames output"),
                               o => o.textContent)};
}"""


@pytest.mark.slow
def test_a_lessons_slider_changes_the_picture_offline(built, offline):
    page, requested = offline
    result = _open(page, built / f"{SLIDER_LESSON}.html")
    assert result["errors"] == 0 and result["typeset"] > 100    # its text, typeset as well
    assert page.evaluate("() => document.querySelectorAll('.coursebook-frames').length") == 1
    page.wait_for_function("() => document.querySelector('.coursebook-frame img').complete")
    before = page.evaluate(FRAME)
    assert before["loaded"] and before["readouts"] == ["1.00", "0.00"]   # w and b where they start
    slider = page.locator(".coursebook-frames input[type=range]").first
    slider.focus()
    seen = [before["src"]]
    for key in ("ArrowRight", "ArrowLeft", "ArrowLeft"):     # w: 10, back to 1, then -10
        page.keyboard.press(key)
        page.wait_for_function("(src) => document.querySelector('.coursebook-frame img')"
                               ".getAttribute('src') !== src", arg=seen[-1], timeout=5_000)
        page.wait_for_function("() => document.querySelector('.coursebook-frame img').complete")
        now = page.evaluate(FRAME)
        assert now["loaded"], f"the picture {now['src']} did not load from disk"
        seen.append(now["src"])
    readouts = page.evaluate(FRAME)["readouts"]
    assert readouts == ["-10.00", "0.00"]
    assert seen[2] == seen[0] and len({seen[0], seen[1], seen[3]}) == 3   # three settings, three pictures
    pictures = {(built / src).read_bytes() for src in seen}
    assert len(pictures) == 3                                # different pictures, not just names
    assert all(url.startswith("file://") for url in requested), requested
    shots = REPO / "test-output" / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    page.locator(".coursebook-frames").screenshot(path=str(shots / "site-slider.png"))
    print("\n" + json.dumps({"slider pictures": seen}))
