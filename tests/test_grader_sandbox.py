"""The child process and its wire format (lessons_lib.grading.sandbox and ._child)."""

from __future__ import annotations

import base64
import io
import math
import os
import time

import numpy as np
import pytest

from lessons_lib.grading import static
from lessons_lib.grading._child import WireError, decode, encode
from lessons_lib.grading.sandbox import Limits, RemoteError, Sandbox, Stopped

LIMITS = Limits(seconds=2.0, setup_seconds=8.0, megabytes=400)
BLOCKED = list(static.BORROWED_MODULES)


def sandbox(cell: str, function: str = "f", limits: Limits = LIMITS) -> Sandbox:
    cells = [
        {"source": "import numpy as np", "kind": "setup"},
        {"source": cell, "kind": "exercise"},
    ]
    return Sandbox(cells, function, limits, BLOCKED)


def test_values_cross_the_wire_unchanged():
    value = (
        np.arange(6, dtype=np.float32).reshape(2, 3),
        [np.int64(3), np.float64(np.nan), 1 + 2j, None, True, "s"],
        {"m": np.zeros((0, 2)), "v": (1.5, -math.inf)},
    )
    back = decode(encode(value))
    assert isinstance(back, tuple) and isinstance(back[1], list) and isinstance(back[2], dict)
    assert back[0].dtype == np.float32 and np.array_equal(back[0], value[0])
    assert type(back[1][0]) is np.int64 and back[1][0] == 3
    assert type(back[1][1]) is np.float64 and np.isnan(back[1][1])
    assert back[1][2:] == [1 + 2j, None, True, "s"]
    assert back[2]["m"].shape == (0, 2) and back[2]["v"] == (1.5, -math.inf)


def test_nothing_is_unpickled_and_only_numbers_cross():
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle"):
        decode({"__nd__": base64.b64encode(pickled.getvalue()).decode()})
    for bad in ({"__module__": "os"}, {"__callback__": 0}, {"__x__": 1}, {"a": 1, "b": 2}):
        with pytest.raises(WireError):
            decode(bad)
    with pytest.raises(WireError, match="dtype <U1"):
        encode(np.array(["a"]))
    with pytest.raises(WireError, match="type object"):
        encode(object())
    with pytest.raises(WireError, match="type function"):
        encode(lambda: 0)  # a callable goes only where the grader asks for callbacks
    nested: list = []
    for _ in range(20):
        nested = [nested]
    with pytest.raises(WireError, match="nested"):
        encode(nested)


def test_a_callable_argument_is_answered_by_the_grader():
    calls = []

    def grad_fn(p):
        calls.append(np.array(p))
        return 2 * p

    with sandbox("def f(w, grad_fn, xp):\n    return w - 0.5 * grad_fn(xp.asarray(w) + 1)") as s:
        got = s.call(np.array([1.0, 2.0]), grad_fn=grad_fn, xp=np)
    assert np.array_equal(got, [-1.0, -1.0])
    assert len(calls) == 1 and np.array_equal(calls[0], [2.0, 3.0])


def test_exceptions_come_back_as_themselves_and_signatures_too():
    cell = (
        "class Oops(Exception):\n    pass\n\n"
        "def f(w, m, *, beta=0.9):\n"
        "    if beta > 1:\n        raise Oops('too big')\n"
        "    if beta < 0:\n        raise NotImplementedError('the hint')\n"
        "    return 1 / beta\n"
    )
    with sandbox(cell) as s:
        assert str(s.signature) == "(w, m, *, beta=0.9)"
        with pytest.raises(NotImplementedError, match="the hint"):
            s.call(1, 2, beta=-1)
        with pytest.raises(RemoteError, match="too big") as err:
            s.call(1, 2, beta=2)
        assert type(err.value).__name__ == "Oops"
        with pytest.raises(ZeroDivisionError):
            s.call(1, 2, beta=0)
        with pytest.raises(TypeError, match="cannot send a value of type set"):
            s.call(1, 2, beta={0})
    with sandbox("def f():\n    return {1, 2}") as s, pytest.raises(TypeError, match="type set"):
        s.call()


def test_the_child_has_no_secrets_no_files_and_no_reference(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_TOKEN", "s3cret")
    target = tmp_path / "written.txt"
    cell = (
        "import os\n"
        "def f(what):\n"
        "    if what == 'env':\n        return ' '.join(os.environ)\n"
        "    if what == 'cwd':\n        return os.getcwd()\n"
        f"    with open({str(target)!r}, 'w') as out:\n        out.write('x' * 100)\n"
    )
    with sandbox(cell) as s:
        assert "GRADER_TOKEN" not in s.call("env") and "PATH" in s.call("env")
        assert s.call("cwd") != os.getcwd()
        with pytest.raises(OSError, match="File too large"):
            s.call("file")
    assert not target.exists() or target.read_text() == ""
    hidden = "def f():\n    import importlib\n    return importlib.import_module('lessons_lib')"
    with sandbox(hidden) as s, pytest.raises(Stopped, match="importing lessons_lib") as stop:
        s.call()
    assert stop.value.kind == "borrowed"


def test_limits_stop_the_child_with_a_clear_message():
    start = time.monotonic()
    with sandbox("def f():\n    while True:\n        pass") as s:
        with pytest.raises(Stopped, match="took longer than 2 s") as stop:
            s.call()
    assert stop.value.kind == "time" and time.monotonic() - start < 8
    with sandbox("def f():\n    return np.ones((1 << 36,))") as s:
        with pytest.raises(Stopped, match="more than 400 MB") as stop:
            s.call()
    assert stop.value.kind == "memory"
    with pytest.raises(Stopped, match=r"exercise cell raised ZeroDivisionError \(line 2\)"):
        sandbox("x = 1\ny = 1 / 0").start()
    with pytest.raises(Stopped, match="does not define f"):
        sandbox("def g():\n    pass").start()
    with pytest.raises(Stopped, match="exit status 3"):
        with sandbox("import os\ndef f():\n    os._exit(3)") as s:
            s.call()
    with pytest.raises(ValueError, match="megabytes must be at least 200"):
        Limits(megabytes=100)


def test_a_value_instead_of_a_function_is_sent_back():
    s = sandbox("f = 'grows'")
    with s:
        assert s.has_value and s.value == "grows"


def test_static_inspection_of_a_cell():
    found = static.inspect_exercise(
        "import numpy as np\nfrom math import sqrt\nimport torch.optim\n"
        "from lessons_lib import rules\nimport subprocess\n"
        "def f(x):\n    return eval('x') + x.__dict__\n"
    )
    assert found.borrowed == ["line 3 imports torch.optim", "line 4 imports lessons_lib"]
    assert [r.split(" (")[0] for r in found.refused] == [
        "line 5 imports subprocess",
        "line 7 uses eval",
        "line 7 uses the attribute __dict__",
    ]
    assert (
        static.inspect_exercise("def f(:\n").syntax_error == "SyntaxError (line 1): invalid syntax"
    )
    assert static.reads(static.parse("def f(w, g):\n    return np.sqrt(w) * LR + g")) == {
        "np",
        "LR",
    }


def test_numpy_corners_that_reach_the_system_are_refused():
    found = static.inspect_exercise(
        "def f(w):\n"
        "    lib = np.ctypeslib.ctypes.CDLL(None)\n"
        "    np.save('/tmp/x.npy', w)\n"
        "    return w._private, np.linalg.norm(w), w.T @ w\n"
    )
    assert [r.split(" (")[0] for r in found.refused] == [
        "line 2 uses the attribute ctypes",
        "line 2 uses the attribute ctypeslib",
        "line 3 uses the attribute save",
        "line 4 uses the attribute _private",
    ]


def test_parse_survives_cpythons_spurious_recursion_depth_mismatch(monkeypatch):
    """CPython 3.11's AST converter keeps one counter per interpreter; another thread's
    conversion can make a correct parse raise this SystemError (seen in CI). It is parsed
    again; any other SystemError, or a third mismatch in a row, still raises."""
    real, calls = static.ast.parse, []

    def flaky(text, *args, **kwargs):
        calls.append(text)
        if len(calls) < 3:
            raise SystemError("AST constructor recursion depth mismatch (before=48, after=67)")
        return real(text, *args, **kwargs)

    monkeypatch.setattr(static.ast, "parse", flaky)
    assert isinstance(static.parse("x = 1").body[0], static.ast.Assign) and len(calls) == 3

    def always(*_a, **_k):
        raise SystemError("AST constructor recursion depth mismatch (before=1, after=2)")

    monkeypatch.setattr(static.ast, "parse", always)
    with pytest.raises(SystemError, match="mismatch"):
        static.parse("x = 1")

    def other(*_a, **_k):
        raise SystemError("something else")

    monkeypatch.setattr(static.ast, "parse", other)
    with pytest.raises(SystemError, match="something else"):
        static.parse("x = 1")
