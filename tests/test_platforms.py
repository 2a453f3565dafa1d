"""Every platform the README lists can install the lessons: resolved against PyPI by uv.

``uv pip compile --python-platform`` resolves the whole dependency set (core, ``capstone``
and ``test`` extras) for another operating system and processor using wheels only, so a
release that drops a platform's wheel fails here, not on a learner's laptop. Each platform
must get the TensorFlow package that exists for it (or none, on an Intel Mac).

Without uv or a connection to PyPI the resolution tests are skipped with the reason; under
``CI=true`` they fail instead. The marker tests below them need neither.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NoReturn

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPI = "https://pypi.org/simple"
PYTHONS = ("3.11", "3.12")
TF_PACKAGES = ("tensorflow", "tensorflow-cpu")
# README name -> (uv --python-platform, sys_platform, platform_machine, TensorFlow package)
PLATFORMS = {
    "Linux x86-64, Windows WSL": ("x86_64-manylinux_2_28", "linux", "x86_64", "tensorflow-cpu"),
    "Linux ARM64": ("aarch64-manylinux_2_28", "linux", "aarch64", "tensorflow"),
    "macOS, Apple silicon": ("aarch64-apple-darwin", "darwin", "arm64", "tensorflow"),
    "macOS, Intel": ("x86_64-apple-darwin", "darwin", "x86_64", None),
    "Windows x86-64, native": ("x86_64-pc-windows-msvc", "win32", "AMD64", "tensorflow-cpu"),
}  # fmt: skip
CASES = [(name, py) for name in PLATFORMS for py in PYTHONS]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", re.M)


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def capstone_requirements() -> dict[str, Requirement]:
    reqs = (Requirement(r) for r in project()["optional-dependencies"]["capstone"])
    return {canonicalize_name(r.name): r for r in reqs}


def _unavailable(message: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def uv_binary() -> str | None:
    """The ``uv`` of this environment (the ``test`` extra installs it), else one on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def pypi_reachable(timeout: float = 5.0) -> bool:
    try:
        with socket.create_connection(("pypi.org", 443), timeout=timeout):
            return True
    except OSError:
        return False


def compile_command(uv: str, platform: str, python: str) -> list[str]:
    return [
        uv, "pip", "compile", str(ROOT / "pyproject.toml"),
        "--extra", "capstone", "--extra", "test",
        "--python-platform", platform, "--python-version", python,
        "--default-index", PYPI, "--no-build", "--no-config", "--no-python-downloads",
        "--no-header", "--no-annotate", "--quiet",
    ]  # fmt: skip


def resolve(uv: str, platform: str, python: str) -> dict[str, str] | str:
    """``{package: version}`` uv resolved, or uv's error text."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    done = subprocess.run(
        compile_command(uv, platform, python), capture_output=True, text=True, env=env,
        timeout=600, cwd=ROOT,
    )  # fmt: skip
    if done.returncode != 0:
        return done.stderr.strip() or done.stdout.strip() or f"exit code {done.returncode}"
    return {canonicalize_name(n): v for n, v in PIN.findall(done.stdout)}


@pytest.fixture(scope="module")
def resolutions() -> dict[tuple[str, str], dict[str, str] | str]:
    """All platforms x Pythons, resolved four at a time (uv waits on the network)."""
    uv = uv_binary()
    if uv is None:
        _unavailable("uv is not installed: `pip install -e '.[test]'` brings it")
    if not pypi_reachable():
        _unavailable("pypi.org cannot be reached, so the platform resolution cannot run")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            (name, py): pool.submit(resolve, uv, PLATFORMS[name][0], py) for name, py in CASES
        }
        return {case: future.result() for case, future in futures.items()}


@pytest.mark.parametrize("name, python", CASES)
def test_platform_resolves_with_its_tensorflow(resolutions, name, python):
    resolved = resolutions[(name, python)]
    platform, *_, expected = PLATFORMS[name]
    assert isinstance(resolved, dict), f"{name}, Python {python} ({platform}): {resolved}"
    for requirement in project()["dependencies"]:
        assert canonicalize_name(Requirement(requirement).name) in resolved
    got = [p for p in TF_PACKAGES if p in resolved]
    assert got == ([expected] if expected else []), (
        f"{name}, Python {python}: expected {expected or 'no TensorFlow'}, resolved {got}"
    )
    if expected:
        spec = capstone_requirements()[expected].specifier
        assert Version(resolved[expected]) in spec
        assert Version(resolved["keras"]) >= Version("3.14"), "ScheduleFreeAdamW needs 3.14"
    else:
        assert "keras" not in resolved, "Keras without a backend fails on import"


def marker_environment(sys_platform: str, machine: str, python: str = "3.11") -> dict[str, str]:
    return {
        "sys_platform": sys_platform,
        "platform_machine": machine,
        "python_version": python,
        "python_full_version": f"{python}.0",
        "platform_system": {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}[sys_platform],
        "os_name": "nt" if sys_platform == "win32" else "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "extra": "capstone",
    }


@pytest.mark.parametrize("name", PLATFORMS)
def test_capstone_markers_pick_one_tensorflow_per_platform(name):
    """Offline: the markers alone choose the expected package (and Keras only beside it)."""
    _, sys_platform, machine, expected = PLATFORMS[name]
    env = marker_environment(sys_platform, machine)
    chosen = {n for n, r in capstone_requirements().items() if r.marker.evaluate(env)}
    assert chosen == ({"keras", expected} if expected else set()), f"{name}: {sorted(chosen)}"


def test_no_tensorflow_on_an_unlisted_processor():
    env = marker_environment("win32", "ARM64")
    assert not [n for n, r in capstone_requirements().items() if r.marker.evaluate(env)]


def test_readme_platform_table_matches():
    """Each README platform row names the TensorFlow package this test expects."""
    readme = (ROOT / "README.md").read_text()
    rows = {
        cells[0]: cells[1]
        for line in readme.splitlines()
        if line.startswith("| ")
        and len(cells := [c.strip(" `") for c in line.strip("|").split("|")]) >= 2
    }
    for name, (*_, expected) in PLATFORMS.items():
        assert name in rows, f"README's platform table has no row {name!r}"
        first_word = (re.match(r"[\w-]*", rows[name]) or [""])[0]
        assert first_word == (expected or "none"), f"README row {name!r}: {rows[name]}"


# --- lessons 00-07 without TensorFlow ----------------------------------------------------------

NO_TF = ROOT / "tests" / "no_tensorflow"
TF_IMPORT = re.compile(r"^\s*(?:import|from)\s+(tensorflow|keras|tf_keras)\b", re.M)


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*:=\s*(.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert match, f"Makefile defines no {name}"
    return match[1].strip()


def core_lessons() -> list[Path]:
    tf_lessons = {ROOT / p for p in makefile_variable("TF_LESSONS").split()}
    return [
        p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) if p not in tf_lessons
    ]


def test_blocker_makes_tensorflow_and_keras_unimportable():
    """What `make test` relies on: with tests/no_tensorflow on PYTHONPATH both imports fail."""
    code = (
        "import importlib\n"
        "for name in ('tensorflow', 'keras', 'keras.ops', 'tensorflow.keras'):\n"
        "    try:\n        importlib.import_module(name)\n"
        "    except ModuleNotFoundError as e:\n        assert 'lessons 00-07' in str(e), e\n"
        "    else:\n        raise SystemExit(f'{name} imported')\n"
        "import numpy, lessons_lib.optimizers, lessons_lib.checks\n"
    )
    env = {**os.environ, "PYTHONPATH": str(NO_TF)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr + done.stdout


def test_make_runs_every_lesson_but_08_with_tensorflow_blocked():
    makefile = (ROOT / "Makefile").read_text()
    assert makefile_variable("TF_LESSONS").split() == ["notebooks/08_fashion_mnist.ipynb"]
    nbval_core = re.search(r"^\s*(.*)\$\(NBVAL\)[^\n]*\\\n\s*\$\(CORE_LESSONS\)", makefile, re.M)
    assert nbval_core, "test-notebooks should run nbval on $(CORE_LESSONS)"
    assert "PYTHONPATH=tests/no_tensorflow" in nbval_core[1]
    every = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [p.name[:2] for p in core_lessons()] == [n for n in every if n != "08"]
    assert {"00", "07", "09", "10"} <= set(every)


@pytest.mark.parametrize("lesson", [p.name for p in core_lessons()])
def test_core_lesson_code_imports_no_tensorflow(lesson):
    """The cheap early warning; the nbval run above is the real proof."""
    cells = json.loads((ROOT / "notebooks" / lesson).read_text())["cells"]
    for index, cell in enumerate(cells):
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and (match := TF_IMPORT.search(source)):
            pytest.fail(f"{lesson} cell {index} imports {match[1]}: only lesson 08 may")
