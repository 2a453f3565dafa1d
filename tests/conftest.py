"""Shared test settings.

Hypothesis' per-example deadline is turned off: under ``pytest -n 2`` a worker that is
importing TensorFlow next door can make a single example slow without anything being
wrong. Example counts stay small so the whole suite runs in well under a minute.

Two markers sort the slow tests out of the inner loop, ``pytest -m "not keras and not
kernel" tests`` (seconds, NumPy only):

* ``keras``: the module imports Keras or TensorFlow (or code that does: the bridge, the
  capstone, the training pipeline);
* ``kernel``: the module runs notebooks: it starts a Jupyter kernel (nbval, nbclient),
  nbconvert (the HTML export) or the grader, whose sandbox starts a Python per notebook.

A module is marked by what its source says, so a new test file is sorted without anyone
remembering to mark it.
"""

import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("lessons", deadline=None, max_examples=60)
settings.load_profile("lessons")

MARKERS = {
    "keras": re.compile(
        r"^\s*(import|from)\s+(keras|tensorflow)\b|to_keras\(|keras_optimizer\(|"
        r"lessons_lib(\.|\s+import\s+)(keras_bridge|training|interactive\.capstone)\b",
        re.MULTILINE,
    ),
    "kernel": re.compile(
        r"nbclient|jupyter_client|KernelManager|ExecutePreprocessor|--execute|nbval|"
        r"export_html|lessons_lib\.grading|lessons_lib\s+import\s+coursework|"
        r"lessons_lib\.coursework",
    ),
}


def pytest_configure(config):
    config.addinivalue_line("markers", "keras: imports Keras/TensorFlow (slow to start)")
    config.addinivalue_line("markers", "kernel: starts a Jupyter kernel (slow)")


@cache
def _markers_of(path: str) -> tuple[str, ...]:
    text = Path(path).read_text(encoding="utf-8")
    return tuple(name for name, pattern in MARKERS.items() if pattern.search(text))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.suffix != ".py":
            continue  # notebooks collected by nbval are checked in their own run
        for name in _markers_of(str(item.path)):
            item.add_marker(getattr(pytest.mark, name))
