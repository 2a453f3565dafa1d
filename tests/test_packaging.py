"""environment.yml (conda route) and pyproject.toml (pip route) list the same requirements."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def normalise(spec: str) -> str:
    """'NumPy >= 2.2, <2.5' -> 'numpy<2.5,>=2.2': PEP 503 name, sorted clauses, no spaces,
    then the environment marker (if any) as packaging writes it."""
    try:
        req = Requirement(spec)
    except InvalidRequirement as e:
        raise AssertionError(f"not a requirement: {spec!r} ({e})") from None
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    clauses = ",".join(sorted(str(s) for s in req.specifier))
    marker = f"; {req.marker}" if req.marker else ""
    return canonicalize_name(req.name) + extras + clauses + marker


def pyproject_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return project["dependencies"] + extras["capstone"] + extras["test"]


def _tiny_yaml_pip_list(text: str) -> list[str]:
    """The items of the ``- pip:`` list, for when PyYAML is missing (indentation-based)."""
    items, indent = [], None
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if not stripped.strip():
            continue
        depth = len(stripped) - len(stripped.lstrip())
        if indent is None:
            if stripped.strip() == "- pip:":
                indent = depth
            continue
        if depth <= indent:
            break
        items.append(stripped.strip().removeprefix("- ").strip())
    return items


def environment_pip_list() -> list[str]:
    text = (ROOT / "environment.yml").read_text()
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML ships with jupyter, but be safe
        return _tiny_yaml_pip_list(text)
    for entry in yaml.safe_load(text)["dependencies"]:
        if isinstance(entry, dict) and "pip" in entry:
            return [str(item) for item in entry["pip"]]
    raise AssertionError("environment.yml has no `- pip:` list")


def environment_requirements() -> list[str]:
    """The pip list without the editable install of the project itself."""
    return [item for item in environment_pip_list() if not item.startswith("-e")]


def test_environment_yml_and_pyproject_list_the_same_requirements():
    from_pyproject = sorted(normalise(r) for r in pyproject_requirements())
    from_environment = sorted(normalise(r) for r in environment_requirements())
    missing = set(from_pyproject) - set(from_environment)
    extra = set(from_environment) - set(from_pyproject)
    assert not missing and not extra, (
        f"add to environment.yml: {sorted(missing)}; remove or add to pyproject: {sorted(extra)}"
    )
    assert len(from_environment) == len(set(from_environment)), "duplicates in environment.yml"


def test_environment_installs_the_project_itself():
    assert "-e ." in environment_pip_list()


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def test_environment_python_matches_requires_python():
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    text = (ROOT / "environment.yml").read_text()
    pythons = re.findall(r"^\s*-\s*python\s*=+\s*([\d.]+)\s*$", text, flags=re.M)
    assert len(pythons) == 1, "environment.yml should pin python once, e.g. `- python=3.11`"
    low = re.search(r">=\s*([\d.]+)", requires)[1]
    high = re.search(r"<\s*([\d.]+)", requires)[1]
    assert version_tuple(low) <= version_tuple(pythons[0]) < version_tuple(high)


def test_tiny_yaml_parser_agrees_with_pyyaml():
    yaml = pytest.importorskip("yaml")
    text = (ROOT / "environment.yml").read_text()
    pip = next(e["pip"] for e in yaml.safe_load(text)["dependencies"] if isinstance(e, dict))
    assert _tiny_yaml_pip_list(text) == pip


@pytest.mark.parametrize(
    "a, b",
    [("numpy>=2.2,<2.5", "NumPy <2.5, >=2.2"), ("pytest_xdist>=3.6", "pytest-xdist >= 3.6")],
)
def test_normalise_ignores_spelling_differences(a, b):
    assert normalise(a) == normalise(b)


def test_normalise_keeps_real_differences():
    assert normalise("numpy>=2.2,<2.5") != normalise("numpy>=2.2,<2.6")
    assert normalise("keras>=3.12") != normalise("keras")
    linux = "tensorflow>=2.20; sys_platform == 'linux'"
    assert normalise(linux) != normalise("tensorflow>=2.20; sys_platform == 'darwin'")
    assert normalise(linux) != normalise("tensorflow>=2.20")


def test_normalise_reads_markers_whatever_the_spacing():
    assert normalise("keras>=3.14;sys_platform=='linux'") == normalise(
        "keras >= 3.14 ; sys_platform == 'linux'"
    )


def test_core_dependencies_leave_out_keras_and_tensorflow():
    """Lessons 00-07 install without TensorFlow: Keras and TensorFlow are the capstone extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    capstone = project["optional-dependencies"]["capstone"]
    assert not core & {"keras", "tensorflow", "tensorflow-cpu"}, sorted(core)
    assert {canonicalize_name(Requirement(r).name) for r in capstone} == {
        "keras", "tensorflow", "tensorflow-cpu"
    }  # fmt: skip


def test_make_setup_installs_the_capstone_extra():
    """`make lessons` / `make test` install what the platform can have (markers decide)."""
    makefile = (ROOT / "Makefile").read_text()
    install = re.search(r"pip install[^\n]*-e \"\.\[([^\]]*)\]\"", makefile)
    assert install, 'the Makefile\'s setup should `pip install -e ".[...]"`'
    assert set(install[1].split(",")) == {"capstone", "test"}
