"""The child side of the grading sandbox, and the wire format both sides share.

This file is run as a script (``python -I _child.py FD_IN FD_OUT``) in a fresh interpreter
that holds nothing of the grader: it imports only the standard library and NumPy, and never
``lessons_lib``. It sets its own resource limits, executes the cells it is sent, blocks
imports of the reference libraries, then answers calls of one function until told to stop
(or, when the name is bound to a value rather than a function, sends that value and stops).
The grading process imports the same file for :func:`encode`, :func:`decode` and the framing.

Wire format: a message is 4 bytes of big-endian length, then UTF-8 JSON. Values travel as
JSON with tagged objects for what JSON lacks: arrays and NumPy scalars as ``np.save`` bytes
(base64; read back with ``allow_pickle=False``, numeric dtypes only), tuples, dicts, complex
numbers; from the grader only, callables (answered by a callback) and the modules ``numpy``
and ``math``. Nothing is ever unpickled.
"""

from __future__ import annotations

import base64
import builtins
import io
import json
import os
import struct
import sys
from typing import Any

MAX_MESSAGE = 64 << 20  # bytes; an answer larger than this is refused
MAX_DEPTH = 16
MODULES = ("numpy", "math")  # modules the grader may pass as arguments (e.g. xp=numpy)
NUMERIC_KINDS = "biufc"


class WireError(ValueError):
    """A value that cannot cross the process boundary, or a malformed message."""


# --- framing -------------------------------------------------------------------------


def send(fd: int, message: dict[str, Any]) -> None:
    """Write one message (length prefix + JSON) to the file descriptor ``fd``."""
    data = json.dumps(message, allow_nan=True).encode("utf-8")
    if len(data) > MAX_MESSAGE:
        raise WireError(f"a message of {len(data) >> 20} MB is larger than the limit")
    view = memoryview(struct.pack(">I", len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def read_exact(fd: int, n: int) -> bytes:
    """``n`` bytes from ``fd``; EOFError if the other side closed the pipe first."""
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def receive(fd: int) -> dict[str, Any]:
    """Read one message from ``fd`` (blocking)."""
    (size,) = struct.unpack(">I", read_exact(fd, 4))
    if size > MAX_MESSAGE:
        raise WireError(f"a message of {size >> 20} MB is larger than the limit")
    message = json.loads(read_exact(fd, size).decode("utf-8"))
    if not isinstance(message, dict):
        raise WireError("a message must be a JSON object")
    return message


# --- values ----------------------------------------------------------------------------


def _array_bytes(array: Any) -> str:
    import numpy as np

    if array.dtype.kind not in NUMERIC_KINDS:
        raise WireError(f"an array of dtype {array.dtype}: only numbers can be compared")
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _load_array(text: Any) -> Any:
    import numpy as np

    if not isinstance(text, str):
        raise WireError("an array must be base64 text")
    array = np.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)
    if array.dtype.kind not in NUMERIC_KINDS:
        raise WireError(f"an array of dtype {array.dtype} (only numbers can be compared)")
    return array


def encode(value: Any, callables: list[Any] | None = None, depth: int = 0) -> Any:
    """``value`` as JSON-ready data. Callables are appended to ``callables`` (grader side
    only) and sent as their index; without that list a callable is refused."""
    if depth > MAX_DEPTH:
        raise WireError(f"a value nested more than {MAX_DEPTH} levels deep")
    if value is None or type(value) in (bool, int, float, str):
        return value
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        return {"__nd__": _array_bytes(value)}
    if np is not None and isinstance(value, np.generic):
        return {"__np__": _array_bytes(np.asarray(value))}
    if isinstance(value, complex):
        return {"__complex__": [value.real, value.imag]}
    if isinstance(value, (tuple, list)):
        items = [encode(v, callables, depth + 1) for v in value]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise WireError("a dict whose keys are not all strings")
        return {"__dict__": [[k, encode(v, callables, depth + 1)] for k, v in value.items()]}
    if type(value).__name__ == "module" and getattr(value, "__name__", "") in MODULES:
        return {"__module__": value.__name__}
    if callables is not None and callable(value):
        callables.append(value)
        return {"__callback__": len(callables) - 1}
    if isinstance(value, (int, float)):  # subclasses of int and float
        return float(value) if isinstance(value, float) else int(value)
    raise WireError(
        f"a value of type {type(value).__name__}; return numbers, NumPy arrays, or tuples, "
        "lists and dicts of them"
    )


def decode(data: Any, callback: Any = None, depth: int = 0) -> Any:
    """The value :func:`encode` made. ``callback(index)`` makes a stand-in for a callable
    (child side only); modules are imported only from :data:`MODULES`."""
    if depth > MAX_DEPTH:
        raise WireError(f"a value nested more than {MAX_DEPTH} levels deep")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, callback, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise WireError("a malformed value")
    ((tag, body),) = data.items()
    if tag == "__nd__":
        return _load_array(body)
    if tag == "__np__":
        return _load_array(body)[()]
    if tag == "__tuple__" and isinstance(body, list):
        return tuple(decode(v, callback, depth + 1) for v in body)
    if tag == "__dict__" and isinstance(body, list):
        return {str(k): decode(v, callback, depth + 1) for k, v in body}
    if tag == "__complex__" and isinstance(body, list) and len(body) == 2:
        return complex(float(body[0]), float(body[1]))
    if tag == "__module__" and body in MODULES:
        import importlib

        return importlib.import_module(body)
    if tag == "__callback__" and callback is not None and isinstance(body, int):
        return callback(body)
    raise WireError(f"a malformed value (tag {tag!r})")


# --- the child -------------------------------------------------------------------------


class _Null(io.TextIOBase):
    """Where the learner's prints go: nowhere (they are not part of the grade)."""

    def write(self, text: str) -> int:
        return len(text)


class _Blocker:
    """A meta-path finder that refuses the reference libraries (and their submodules)."""

    def __init__(self, blocked: list[str]) -> None:
        self.blocked = tuple(blocked)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        root = name.split(".")[0]
        if root in self.blocked:
            raise ImportError(
                f"BORROWED: importing {name} is not allowed in an exercise; "
                "write the computation yourself",
                name=name,
            )
        return None


def _limit(seconds: float, megabytes: int) -> None:
    import resource

    cpu = max(1, int(seconds) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (megabytes << 20, megabytes << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # no file grows: writing fails


def _failure(err: BaseException, where: str) -> dict[str, Any]:
    """An exception as a message: its type name, text and the cell line it came from."""
    tb, line = err.__traceback__, 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("<cell"):
            line = tb.tb_lineno
        tb = tb.tb_next
    if isinstance(err, SyntaxError) and err.filename and err.filename.startswith("<cell"):
        line = err.lineno or 0
    text = str(err)
    return {
        "op": "raise",
        "etype": type(err).__name__,
        "message": text if len(text) <= 500 else text[:497] + "...",
        "where": where,
        "line": line,
        "memory": isinstance(err, MemoryError),
    }


def _serve(fd_in: int, fd_out: int, function: Any) -> None:
    """Answer calls until the grader closes the pipe."""

    def stand_in(index: int) -> Any:
        def call_back(*args: Any, **kwargs: Any) -> Any:
            send(fd_out, {"op": "callback", "id": index, "args": encode(list(args)),
                          "kwargs": encode(kwargs)})  # fmt: skip
            reply = receive(fd_in)
            if reply.get("op") != "result":
                raise RuntimeError(f"the grader's function failed: {reply.get('message', '')}")
            return decode(reply["value"])

        return call_back

    while True:
        try:
            message = receive(fd_in)
        except EOFError:
            return
        try:
            args = decode(message.get("args", []), stand_in)
            kwargs = decode(message.get("kwargs", {}), stand_in)
            value = function(*args, **kwargs)
            try:
                reply = {"op": "return", "value": encode(value)}
            except WireError as err:
                raise TypeError(f"the grader cannot compare {err}") from None
        except BaseException as err:  # noqa: BLE001 - anything the learner's code raises
            if isinstance(err, (KeyboardInterrupt, SystemExit)):
                err = RuntimeError(f"{type(err).__name__} raised in the exercise")
            reply = _failure(err, "call")
        send(fd_out, reply)


def main(argv: list[str]) -> None:
    """Read the job, limit this process, run the cells, then serve calls."""
    fd_in, fd_out = int(argv[1]), int(argv[2])
    job = receive(fd_in)
    _limit(float(job["cpu_seconds"]), int(job["megabytes"]))
    import numpy  # noqa: F401 - before the blocker; the learner's code may use it

    sys.stdout = sys.stderr = _Null()  # prints of the learner's code go nowhere
    sys.meta_path.insert(0, _Blocker(job["blocked"]))
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    for k, cell in enumerate(job["cells"]):
        try:
            code = compile(cell["source"], f"<cell {k}>", "exec")
            exec(code, namespace)  # noqa: S102 - this is the sandbox
        except BaseException as err:  # noqa: BLE001
            send(fd_out, _failure(err, cell["kind"]) | {"cell": k})
            return
        sys.stdout = sys.stderr = _Null()
    if job["function"] not in namespace:
        send(fd_out, {"op": "missing", "name": job["function"]})
        return
    function = namespace[job["function"]]
    if not callable(function):  # a prediction given as a value, not as a function
        try:
            send(fd_out, {"op": "value", "value": encode(function)})
        except WireError as err:
            send(fd_out, _failure(TypeError(f"the grader cannot compare {err}"), "exercise"))
        return
    send(fd_out, {"op": "ready", "signature": _signature(function)})
    _serve(fd_in, fd_out, function)


def _signature(function: Any) -> list[list[Any]] | None:
    """[name, kind, has default, default] per parameter, so the grader's stand-in has the
    same signature (a check may look at the names); None when there is none to read."""
    import inspect

    try:
        params = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    out = []
    for p in params:
        has_default = p.default is not inspect.Parameter.empty
        try:
            default = encode(p.default) if has_default else None
        except WireError:
            default = None
        out.append([p.name, int(p.kind), has_default, default])
    return out


if __name__ == "__main__":
    main(sys.argv)
