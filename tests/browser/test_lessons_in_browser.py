"""Every lesson in a real JupyterLab: open, Run All, no errors, sliders redraw the figure.

nbval runs the cells in a bare kernel and cannot see widgets; this test opens each lesson
in headless Chromium, runs it as a learner would, then moves the first slider of every
``live_figure`` cell with the keyboard (or picks another option of a figure that has only
drop-downs) and checks that the figure below it is replaced.
Screenshots go to ``test-artifacts/browser/`` (``NN_topic.png`` on success,
``NN_topic-FAILED.png`` on failure); the time per lesson is printed at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

OPEN_TIMEOUT = 60  # s: JupyterLab page load; notebook open + kernel start
# s: Run All of one lesson (lesson 08 trains small models); LESSONS_RUN_ALL_TIMEOUT overrides
RUN_ALL_TIMEOUT = float(os.environ.get("LESSONS_RUN_ALL_TIMEOUT", 150))
WIDGET_TIMEOUT = 30  # s: slider views rendered after Run All
REDRAW_TIMEOUT = 30  # s: figure replaced after a slider move
SETTLE_SECONDS = 0.5  # the figure must stay the same this long to count as settled

STATUS_JS = """() => {
  const app = window.jupyterapp;
  if (!app) return {ready: false, why: 'window.jupyterapp is missing'};
  const panel = app.shell.currentWidget;
  if (!panel || !panel.sessionContext || !panel.content)
    return {ready: false, why: 'no notebook is the current widget'};
  const session = panel.sessionContext.session;
  const kernel = session ? session.kernel : null;
  return {
    path: panel.context.path,
    id: panel.id,
    ready: panel.context.isReady && panel.sessionContext.isReady && !!kernel,
    kernel: kernel ? kernel.status : 'no kernel',
    connection: kernel ? kernel.connectionStatus : 'none',
    runAll: window.__runAll || null,
    unfinished: panel.content.widgets.map((c, i) => [c, i]).filter(([c]) =>
      (c.node.querySelector('.jp-InputPrompt')?.textContent || '').includes('*')
    ).map(([, i]) => i).slice(0, 3),
    cells: panel.content.widgets.length,
  };
}"""

RUN_ALL_JS = """() => {
  window.__runAll = {done: false, result: null, error: null};
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    (r) => { window.__runAll.done = true; window.__runAll.result = r; },
    (e) => { window.__runAll.done = true; window.__runAll.error = String(e); });
}"""

# Reads the notebook *model*: an error output is output_type "error" (JupyterLab renders
# errors and stderr alike with the stderr mime type, so the DOM cannot tell them apart).
OUTPUTS_JS = r"""() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const res = {errors: [], stderr: [], unexecuted: [], widgetErrors: []};
  panel.content.widgets.forEach((cell, i) => {
    cell.node.setAttribute('data-test-cell', String(i));
    if (cell.model.type !== 'code') return;
    if (cell.model.sharedModel.getSource().trim() && cell.model.executionCount == null)
      res.unexecuted.push(i);
    const outputs = cell.model.outputs;
    for (let j = 0; j < outputs.length; j++) {
      const o = outputs.get(j).toJSON();
      if (o.output_type === 'error') {
        const tb = (o.traceback || []).join('\n').replace(/\x1b\[[0-9;]*m/g, '');
        res.errors.push({cell: i, ename: o.ename, evalue: o.evalue, traceback: tb.slice(-2000)});
      } else if (o.output_type === 'stream' && o.name === 'stderr') {
        res.stderr.push({cell: i, text: String(o.text).slice(0, 300)});
      }
    }
    if (/Error displaying widget|Error rendering/.test(cell.node.innerText))
      res.widgetErrors.push(i);
  });
  return res;
}"""

OPEN_JS = """async (path) => {
  await window.jupyterapp.restored;
  await window.jupyterapp.commands.execute('docmanager:open', {path, factory: 'Notebook'});
}"""

# shut the kernel down and close the notebook without the "save changes?" dialog
CLOSE_ALL_JS = """async () => {
  const app = window.jupyterapp;
  const documents = () => Array.from(app.shell.widgets('main')).filter((w) => w.context);
  for (const w of documents()) {
    if (w.sessionContext) await w.sessionContext.shutdown();
    w.context.model.dirty = false;
    w.close();
  }
  return documents().length;
}"""

# scroll the cell that is still running, else the first with an error, into view
SHOW_CULPRIT_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content) return -1;
  const cells = panel.content.widgets;
  const prompt = (c) => c.node.querySelector('.jp-InputPrompt')?.textContent || '';
  const hasError = (c) => c.model.type === 'code' &&
    Array.from({length: c.model.outputs.length}, (_, j) => c.model.outputs.get(j).type)
      .includes('error');
  let i = cells.findIndex((c) => prompt(c).includes('*'));
  if (i < 0) i = cells.findIndex(hasError);
  if (i >= 0) cells[i].node.scrollIntoView({block: 'center'});
  return i;
}"""

FINGERPRINT_JS = """(img) => {
  const s = img.getAttribute('src') || '';
  let h = 0;
  for (let k = 0; k < s.length; k++) h = (Math.imul(h, 31) + s.charCodeAt(k)) | 0;
  return s.length + ':' + (h >>> 0).toString(16);
}"""


def _poll(probe: Callable[[], Any], done: Callable[[Any], bool], timeout: float, what: str):
    """Call ``probe`` until ``done(result)``; on timeout raise with the last result."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = probe()
        if done(last):
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last state: {last}")


def _require(condition: bool, message: str) -> None:
    """Raise AssertionError(message) unless ``condition`` (the message alone is reported)."""
    if not condition:
        raise AssertionError(message)


def _live_figure_cells(notebook: Path) -> list[int]:
    """Indices of the code cells that call ``live_figure(`` (each must render sliders + figure)."""
    cells = json.loads(notebook.read_text())["cells"]
    return [
        i
        for i, c in enumerate(cells)
        if c["cell_type"] == "code" and "live_figure(" in "".join(c["source"])
    ]


class Lab:
    """One JupyterLab page, reused from lesson to lesson (reloaded after a failure)."""

    def __init__(self, context, server):
        self.context, self.server = context, server
        self.page = None
        self.errors: list[str] = []

    def fresh_page(self):
        if self.page is None or self.page.is_closed():
            self.page = self.context.new_page()
            self.page.on("pageerror", lambda e: self.errors.append(str(e)))
            self.page.goto(
                f"{self.server.url}/lab?reset&token={self.server.token}",
                timeout=OPEN_TIMEOUT * 1000,
            )
            self.page.wait_for_function(
                "() => window.jupyterapp && window.jupyterapp.shell", timeout=OPEN_TIMEOUT * 1000
            )
        self.errors.clear()
        return self.page

    def close_notebooks(self) -> None:
        """Close every notebook of the page (kernels shut down); drop the page if that fails."""
        try:
            _poll(
                lambda: self.page.evaluate(CLOSE_ALL_JS),
                lambda left: left == 0,
                20,
                "the notebooks to close",
            )
        except Exception:
            self.discard()

    def discard(self) -> None:
        if self.page is not None and not self.page.is_closed():
            with contextlib.suppress(Exception):
                self.page.close()
        self.page = None


@pytest.fixture(scope="module")
def lab(chromium_path, lab_server, browser_context):
    """Chromium is looked for first (skip fast), then the server launched, then the browser
    started while the server is still starting up."""
    lab_server.wait_until_up()
    lab = Lab(browser_context, lab_server)
    yield lab
    lab.discard()


def _open(page, name: str) -> str:
    """Open notebooks/``name`` and wait for its idle kernel; return the panel's DOM id."""
    path = f"notebooks/{name}"
    page.evaluate(OPEN_JS, path)
    status = _poll(
        lambda: page.evaluate(STATUS_JS),
        lambda s: s.get("path") == path and s.get("ready") and s.get("kernel") == "idle",
        OPEN_TIMEOUT,
        f"{name} to open with an idle kernel",
    )
    _require(status["cells"] > 0, f"{name} opened with no cells")
    return status["id"]


def _run_all(page, name: str) -> dict:
    page.evaluate(RUN_ALL_JS)
    _poll(
        lambda: page.evaluate(STATUS_JS),
        lambda s: (s.get("runAll") or {}).get("done") and s.get("kernel") == "idle",
        RUN_ALL_TIMEOUT,
        f"Run All of {name} to finish and the kernel to be idle",
    )
    outputs = page.evaluate(OUTPUTS_JS)
    errors = [
        f"cell {e['cell']}: {e['ename']}: {e['evalue']}\n{e['traceback']}"
        for e in outputs["errors"]
    ]
    _require(not errors, f"{name} has error outputs after Run All:\n" + "\n".join(errors))
    _require(
        not outputs["unexecuted"],
        f"{name}: code cells {outputs['unexecuted']} were not executed by Run All",
    )
    _require(
        not outputs["widgetErrors"],
        f"{name}: widgets failed to render in cells {outputs['widgetErrors']}",
    )
    run_error = page.evaluate("() => window.__runAll.error")
    _require(run_error is None, f"{name}: the Run All command failed: {run_error}")
    return outputs


def _press_slider(page, slider, name: str, index: int) -> str:
    """Move ``slider`` one step with the keyboard; return its label."""
    handle = slider.locator(".noUi-handle")
    label = slider.locator(".widget-label").inner_text()

    def value() -> str:  # aria-valuenow is rounded to 0.1 by noUiSlider: read the readout too
        readout = slider.locator(".widget-readout").inner_text()
        return f"{handle.get_attribute('aria-valuetext')} {readout}"

    before_value = value()
    for key in ("ArrowRight", "ArrowLeft"):  # a slider at its maximum only moves left
        handle.focus()
        page.keyboard.press(key)
        with contextlib.suppress(AssertionError):
            _poll(value, lambda v: v != before_value, 3, "")
            return label
    raise AssertionError(
        f"{name} cell {index}: slider '{label}' did not move on ArrowRight or ArrowLeft"
        f" (value {before_value})"
    )


def _slide(page, panel: str, name: str, index: int) -> float:
    """Move the first slider of cell ``index`` one step (or, in a figure with only
    drop-downs, pick the first one's next option); return seconds until redrawn."""
    cell = page.locator(f'#{panel} [data-test-cell="{index}"]')
    controls = cell.locator(".widget-slider, .widget-dropdown")
    image = cell.locator(".jp-OutputArea-output img").last
    try:
        controls.first.wait_for(state="visible", timeout=WIDGET_TIMEOUT * 1000)
        image.wait_for(state="attached", timeout=WIDGET_TIMEOUT * 1000)
    except Exception as e:
        raise AssertionError(
            f"{name} cell {index}: live_figure shows no control and figure"
            f" within {WIDGET_TIMEOUT} s ({type(e).__name__})"
        ) from e
    sliders = cell.locator(".widget-slider")
    before_image = image.evaluate(FINGERPRINT_JS)
    t0 = time.monotonic()
    if sliders.count():
        label = _press_slider(page, sliders.first, name, index)
    else:
        dropdown = cell.locator(".widget-dropdown").first
        label = dropdown.locator("label").inner_text()
        select = dropdown.locator("select")
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.options[s.selectedIndex].text")
        _require(len(options) > 1, f"{name} cell {index}: drop-down '{label}' has one option")
        select.select_option(label=options[(options.index(current) + 1) % len(options)])

    def fingerprint() -> str | None:
        images = cell.locator(".jp-OutputArea-output img")
        return images.last.evaluate(FINGERPRINT_JS) if images.count() else None

    _poll(
        fingerprint,
        lambda f: f is not None and f != before_image,
        REDRAW_TIMEOUT,
        f"{name} cell {index}: the figure to change after '{label}' changed",
    )
    seconds = time.monotonic() - t0
    _settle(page, fingerprint, f"{name} cell {index}: the figure to settle")
    return seconds


def _settle(page, fingerprint: Callable[[], str | None], what: str) -> None:
    state = {"value": fingerprint(), "since": time.monotonic()}

    def stable() -> bool:
        value = fingerprint()
        if value != state["value"] or value is None:
            state.update(value=value, since=time.monotonic())
        idle = page.evaluate(STATUS_JS).get("kernel") == "idle"
        return idle and time.monotonic() - state["since"] >= SETTLE_SECONDS

    _poll(lambda: stable(), bool, REDRAW_TIMEOUT, what)


def _check_lesson(page, server, name: str, timings: dict, artifacts: Path) -> None:
    t0 = time.monotonic()
    panel = _open(page, name)
    timings["open"] = time.monotonic() - t0
    t1 = time.monotonic()
    outputs = _run_all(page, name)
    timings["run_all"] = time.monotonic() - t1
    if outputs["stderr"]:
        print(f"{name}: stderr after Run All (warnings, not errors): {outputs['stderr']}")
    t2 = time.monotonic()
    live = _live_figure_cells(server.root / "notebooks" / name)
    redraws = [_slide(page, panel, name, i) for i in live]
    timings["sliders"] = time.monotonic() - t2
    if redraws:
        timings["redraw_max"] = max(redraws)
    outputs = page.evaluate(OUTPUTS_JS)
    _require(not outputs["errors"], f"{name}: error outputs after sliding: {outputs['errors']}")
    target = page.locator(f'#{panel} [data-test-cell="{live[0]}"]') if live else page
    target.screenshot(path=str(artifacts / f"{Path(name).stem}.png"))


def _failure_evidence(page, shot: Path) -> str:
    """Open the log console (kernel messages outside cells, e.g. a slider callback's
    traceback), take a screenshot, and return both as text for the failure message."""
    if page is None:
        return "no screenshot (JupyterLab did not load)"
    log = ""
    with contextlib.suppress(Exception):
        page.evaluate(SHOW_CULPRIT_JS)
    try:
        page.evaluate("() => window.jupyterapp.commands.execute('logconsole:open')")
        panel = page.locator(".jp-LogConsolePanel").first
        panel.wait_for(state="visible", timeout=5000)
        time.sleep(0.5)
        log = panel.inner_text(timeout=5000).strip()[-3000:]
    except Exception as e:
        log = f"(log console unavailable: {type(e).__name__})"
    try:
        page.screenshot(path=str(shot))
        where = f"screenshot: {shot}"
    except Exception as e:  # the page itself may be gone
        where = f"no screenshot ({type(e).__name__}: {e})"
    return f"{where}\nlog console: {log or '(empty)'}"


def test_lesson_in_jupyterlab(lesson, lab, artifacts_dir, timings_log):
    """Open the lesson, Run All, check outputs, slide every live figure, screenshot it."""
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    failure = None
    try:
        _check_lesson(lab.fresh_page(), lab.server, lesson, timings, artifacts_dir)
    except Exception as e:  # report with a screenshot and the kernel's log, without a traceback
        shot = artifacts_dir / f"{Path(lesson).stem}-FAILED.png"
        failure = f"{e}\n{_failure_evidence(lab.page, shot)}"
        failure += f"\npage errors: {lab.errors}" if lab.errors else ""
        failure += f"\nserver log: {lab.server.log}"
        lab.discard()  # the next lesson starts from a freshly loaded JupyterLab
    finally:
        timings["total"] = time.monotonic() - t0
        timings_log[lesson] = timings
        if lab.page is not None:
            lab.close_notebooks()
        lab.server.shutdown_kernels()
        timings["close"] = time.monotonic() - t0 - timings["total"]
    if failure:
        pytest.fail(failure, pytrace=False)


def test_lessons_found(lesson_folder):
    """The browser test must not pass vacuously on an empty or wrong notebook folder."""
    lessons = list(lesson_folder.glob("[0-9][0-9]_*.ipynb"))
    assert lessons, f"no NN_*.ipynb lessons in {lesson_folder}"
