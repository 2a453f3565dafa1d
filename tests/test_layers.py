"""The layers of lessons_lib hold: the NumPy core loads no figure, widget or Keras library,
and the rules sit below everything that uses them.

Each check runs in a fresh interpreter (this test process has long imported everything).
"""

import json
import subprocess
import sys

import pytest

#: the NumPy-only core (a module not written yet is skipped)
CORE = [
    "lessons_lib.rules",
    "lessons_lib.optimizers",
    "lessons_lib.schedules",
    "lessons_lib.ewma",
    "lessons_lib.functions",
    "lessons_lib.runner",
    "lessons_lib.theory",
    "lessons_lib.pitfalls",
    "lessons_lib.checks",
    "lessons_lib.report",
    "lessons_lib.mlp",
    "lessons_lib.data",
]
HEAVY = ("matplotlib", "ipywidgets", "keras", "tensorflow")
#: the layers above and beside the core: figures and widgets, and the Keras side
ABOVE = ("lessons_lib.plotting", "lessons_lib.widgets", "lessons_lib.interactive",
         "lessons_lib.keras_bridge", "lessons_lib.training")  # fmt: skip

PROBE = """
import importlib, importlib.util, json, sys
heavy = {heavy!r}
report = {{}}
for name in {modules!r}:
    if importlib.util.find_spec(name) is None:
        report[name] = None  # not written yet
        continue
    before = set(sys.modules)
    importlib.import_module(name)
    new = set(sys.modules) - before
    report[name] = sorted({{m.split(".")[0] for m in new}} & set(heavy)) + sorted(
        m for m in new if m.startswith({above!r}))
print(json.dumps(report))
"""


def _probe(modules: list[str]) -> dict:
    code = PROBE.format(heavy=HEAVY, modules=modules, above=ABOVE)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_numpy_core_loads_no_figure_widget_or_keras_library():
    """Neither the heavy libraries nor lessons_lib's own figure and Keras layers."""
    report = _probe(CORE)
    found = {name: loaded for name, loaded in report.items() if loaded}
    assert not found, f"the NumPy core imports {found}; import those lazily, inside functions"
    assert report["lessons_lib.optimizers"] == []  # the probe did import something


@pytest.mark.parametrize("module", ["lessons_lib.rules", "lessons_lib.optimizers"])
def test_rules_sit_below_the_optimizers(module):
    """rules imports nothing of lessons_lib above it; optimizers only the rules."""
    code = (
        f"import sys, json, {module}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('lessons_lib.')"
        " and not m.startswith('lessons_lib.rules'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    above = set(json.loads(done.stdout)) - {module}
    assert not above, f"{module} pulls in {sorted(above)}"
