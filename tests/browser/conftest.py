"""Fixtures for the browser test: a private JupyterLab server and a headless Chromium.

The server runs the ``.venv``'s JupyterLab on 127.0.0.1, on a free port with a random
token, on a *copy* of the notebooks, with its own config, data, runtime, settings and
workspace directories (autosave, news and update checks off). The browser is Debian's
Chromium driven by Playwright in a fresh profile. Both are stopped by process id at
teardown, whatever happened in the tests.

Environment knobs:

- ``LESSONS_NOTEBOOKS``: the folder of notebooks to test (default: ``notebooks/``);
- ``CHROMIUM``: path of the Chromium binary (default: Debian's);
- ``LESSONS_RUN_ALL_TIMEOUT``: seconds allowed for one lesson's Run All (default 150);
- ``CI=true``: a missing Chromium or Playwright fails the run instead of skipping it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM_PATHS = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
INSTALL_HINT = (
    "install Debian's Chromium with `sudo apt-get install chromium` "
    "(or point the CHROMIUM variable at a Chromium binary)"
)
SERVER_START_TIMEOUT = 90  # s, first start compiles nothing but imports a lot

# JupyterLab user settings: {plugin id: {setting: value}}
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # every cell attached to the DOM, so outputs below the fold can be queried
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}
SERVER_CONFIG = {
    "ServerApp": {
        "open_browser": False,
        "terminals_enabled": False,
        "jpserver_extensions": {"jupyter_lsp": False, "jupyter_server_terminals": False},
        "allow_root": os.geteuid() == 0,  # CI and containers run as root
    },
    "LabApp": {
        "news_url": None,
        "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "expose_app_in_browser": True,  # window.jupyterapp, to run commands and read models
        "extension_manager": "readonly",  # no extension index queried
    },
}
KERNEL_ENV = {
    "LESSONS_MODE": "ci",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "PYTHONHASHSEED": "0",
}


def notebooks_dir() -> Path:
    """The folder whose lessons are tested (``LESSONS_NOTEBOOKS`` or ``notebooks/``)."""
    return Path(os.environ.get("LESSONS_NOTEBOOKS", REPO / "notebooks")).resolve()


def lesson_names() -> list[str]:
    """Lesson notebooks, ``NN_topic.ipynb``, in order."""
    return sorted(p.name for p in notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def _missing(what: str) -> NoReturn:
    """Skip (on a learner's machine) or fail (under CI) when a browser part is missing."""
    message = f"{what}: {INSTALL_HINT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of Debian's Chromium; skip with an install hint (fail under CI) if absent."""
    candidates = [os.environ["CHROMIUM"]] if os.environ.get("CHROMIUM") else CHROMIUM_PATHS
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    _missing(f"Chromium not found at {', '.join(candidates)}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings_dir: Path) -> None:
    for plugin_id, values in LAB_SETTINGS.items():
        package, plugin = plugin_id.split(":")
        path = settings_dir / package / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))


def _copy_notebooks(src: Path, root: Path) -> Path:
    """Copy ``src`` to ``root/notebooks`` (without checkpoints); ``../data`` stays reachable."""
    dest = root / "notebooks"
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    if (src.parent / "data").is_dir():
        (root / "data").symlink_to(src.parent / "data", target_is_directory=True)
    return dest


@dataclass
class LabServer:
    """A running JupyterLab: ``url`` is its base, ``token`` its secret."""

    process: subprocess.Popen
    url: str
    token: str
    root: Path
    log: Path

    def api(self, path: str, method: str = "GET") -> object:
        """Call the REST API, returning the decoded JSON (or None when empty)."""
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until_up(self) -> None:
        """Return once the REST API answers; raise with the log if the server died."""
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with code {self.process.returncode} while starting;"
                    f" log {self.log}:\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError, ValueError):
                self.api("/api/status")
                return
            time.sleep(0.25)
        raise TimeoutError(
            f"JupyterLab did not answer on {self.url} within {SERVER_START_TIMEOUT} s;"
            f" log {self.log}:\n{self.log_tail()}"
        )

    def shutdown_kernels(self) -> None:
        """Shut down every kernel of this server (they belong to this test only)."""
        with contextlib.suppress(OSError):
            for kernel in self.api("/api/kernels"):  # type: ignore[union-attr]
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE")


def _stop_process_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM then SIGKILL the group led by ``process`` (the server and its kernels)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # kernels left behind, if any
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab on a copy of the notebooks, isolated from the user's Jupyter setup.

    Yielded as soon as the process starts; ``wait_until_up()`` before the first request."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "work"
    root.mkdir()
    _copy_notebooks(notebooks_dir(), root)
    dirs = {
        "JUPYTER_CONFIG_DIR": base / "config",
        "JUPYTER_DATA_DIR": base / "data",
        "JUPYTER_RUNTIME_DIR": base / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": base / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": base / "workspaces",
        "IPYTHONDIR": base / "ipython",
        "MPLCONFIGDIR": base / "matplotlib",
    }
    for d in dirs.values():
        d.mkdir()
    (dirs["JUPYTER_CONFIG_DIR"] / "jupyter_server_config.json").write_text(
        json.dumps(SERVER_CONFIG, indent=2)
    )
    _write_settings(dirs["JUPYTERLAB_SETTINGS_DIR"])
    env = {**os.environ, **{k: str(v) for k, v in dirs.items()}, **KERNEL_ENV}
    env.pop("JUPYTER_TOKEN", None)
    port, token = _free_port(), secrets.token_hex(24)
    log = base / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
    ]  # fmt: skip
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    server = LabServer(process, f"http://127.0.0.1:{port}", token, root, log)
    try:
        yield server  # still starting: call server.wait_until_up() (the browser starts meanwhile)
    finally:
        _stop_process_group(process)


def _chromium_pids(user_data_dir: Path) -> list[int]:
    """Ids of the processes running Chromium on ``user_data_dir`` (ours, by its unique path)."""
    marker = f"--user-data-dir={user_data_dir}".encode()
    pids: list[int] = []
    if not Path("/proc").is_dir():  # not Linux: Playwright's close() has to do
        return pids
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if marker in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
    return pids


@pytest.fixture(scope="session")
def browser_context(chromium_path: str, tmp_path_factory: pytest.TempPathFactory):
    """A persistent Chromium context in a fresh profile; killed by pid at teardown."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the Python package playwright is not installed (pip install -e '.[test]')")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium_path,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
            timeout=60_000,
        )
        try:
            yield context
        finally:
            with contextlib.suppress(Exception):
                context.close()
            # whatever still runs on our profile (a re-scan, so a reused pid is never hit)
            for pid in _chromium_pids(profile):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "lesson" in metafunc.fixturenames:
        metafunc.parametrize("lesson", lesson_names())


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where screenshots and timings go: ``test-artifacts/browser/`` (emptied first)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in [*ARTIFACTS.glob("*.png"), *ARTIFACTS.glob("timings.txt")]:
        stale.unlink()
    return ARTIFACTS


@pytest.fixture(scope="session")
def lesson_folder() -> Path:
    return notebooks_dir()


# --- per-lesson timings: written to test-artifacts/browser/timings.txt, printed at the end ---

TIMINGS: dict[str, dict[str, float]] = {}


def _timing_rows() -> list[str]:
    columns = {"open": "open", "run_all": "run all", "sliders": "sliders"}
    columns |= {"redraw_max": "redraw", "total": "total", "close": "close"}
    rows = [f"{'lesson (seconds)':<32}" + "".join(f"{c:>9}" for c in columns.values())]
    for name, t in TIMINGS.items():
        rows.append(f"{name:<32}" + "".join(f"{t.get(k, 0):>9.1f}" for k in columns))
    total = sum(t.get("total", 0) + t.get("close", 0) for t in TIMINGS.values())
    rows.append(f"{'all lessons':<32}{total:>{9 * len(columns)}.1f}")
    return rows


@pytest.fixture(scope="session")
def timings_log(artifacts_dir: Path) -> Iterator[dict[str, dict[str, float]]]:
    """``{lesson: {phase: seconds}}``, saved as ``timings.txt`` when the session ends.

    Phases: open (notebook + kernel start), run all, sliders (every live figure slid and
    settled), redraw (slowest key press -> new figure), total (all of these), then close
    (notebook closed, kernel shut down)."""
    yield TIMINGS
    if TIMINGS:
        (artifacts_dir / "timings.txt").write_text("\n".join(_timing_rows()) + "\n")


def pytest_terminal_summary(terminalreporter) -> None:
    if TIMINGS:  # in this process (under pytest-xdist only timings.txt is written)
        terminalreporter.write_sep("-", "browser test: time per lesson")
        for row in _timing_rows():
            terminalreporter.write_line(row)
        terminalreporter.write_line(f"screenshots and timings in {ARTIFACTS}")
