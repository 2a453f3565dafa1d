"""Run a learner's function in a child process and call it from the grading process.

:class:`Sandbox` starts a fresh interpreter (``python -I``, no inherited environment beyond
what NumPy needs, a temporary working folder, its own session) running ``_child.py``. The
child limits its own address space (``RLIMIT_AS``), processor time (``RLIMIT_CPU``) and file
sizes (``RLIMIT_FSIZE`` = 0), executes the cells it is given and then answers calls. Here,
each call has a wall-clock limit, the child's resident memory is watched as a second line of
defence, and only data comes back: arrays as ``np.save`` bytes read with
``allow_pickle=False`` (nothing is unpickled), numbers, tuples, lists, dicts.

A callable argument (a ``grad_fn``, say) is not sent: the child gets a stand-in that asks
the grading process to call the real function and send back its value.
"""

from __future__ import annotations

import builtins
import inspect
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _child
from ._child import WireError, decode, encode

__all__ = ["Limits", "Sandbox", "Stopped", "RemoteError"]

CHILD = Path(_child.__file__).resolve()
ENV_KEEP = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TZ")


@dataclass(frozen=True)
class Limits:
    """What one exercise's child may use.

    ``seconds``: wall-clock limit of one call of the learner's function; ``setup_seconds``:
    for starting the child and running the cells; ``megabytes``: address space of the
    child (NumPy itself takes about 100 MB of it); ``cpu_seconds``: processor time of the
    whole child.
    """

    seconds: float = 10.0
    setup_seconds: float = 30.0
    megabytes: int = 512
    cpu_seconds: float = 60.0

    def __post_init__(self) -> None:
        for name in ("seconds", "setup_seconds", "cpu_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number, got {getattr(self, name)}")
        if self.megabytes < 200:
            raise ValueError(f"megabytes must be at least 200 (NumPy needs ~100), got "
                             f"{self.megabytes}")  # fmt: skip


class Stopped(BaseException):  # noqa: N818 - not an error of the check: it stops the check
    """The learner's code went past a limit, died, or imported a reference library.

    A BaseException, so a check's ``except Exception`` does not turn it into an ordinary
    "case 1 raised ..." message: the grader reports ``kind`` and ``message`` itself.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "time", "memory", "died", "borrowed", "setup", "missing", "protocol"
        self.message = message


class RemoteError(Exception):
    """Base of the exception classes made for errors raised in the child."""


_made: dict[str, type] = {}


def remote_exception(etype: str, message: str) -> Exception:
    """An exception to raise here for one the learner's code raised in the child.

    Built-in exception types are rebuilt as themselves (so ``NotImplementedError`` still
    means "not attempted" to a check); any other name becomes a subclass of RemoteError
    with that name, so the check's message names it.
    """
    name = etype if etype.isidentifier() and len(etype) <= 60 else "Exception"
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(message)
        except Exception:  # noqa: BLE001 - a constructor with other arguments
            pass
    if name not in _made:
        _made[name] = type(name, (RemoteError,), {})
    return _made[name](message)


def _rebuild_signature(data: Any) -> inspect.Signature | None:
    """The learner's function's signature, from the child's description (names, kinds and
    defaults; a default that cannot travel becomes ``...``)."""
    if not isinstance(data, list):
        return None
    try:
        params = []
        for name, kind, has_default, default in data:
            value = (decode(default) if default is not None else ...) if has_default else None
            params.append(
                inspect.Parameter(
                    str(name),
                    inspect._ParameterKind(int(kind)),
                    default=value if has_default else inspect.Parameter.empty,
                )
            )
        return inspect.Signature(params)
    except (TypeError, ValueError, WireError):
        return None


def _environment(home: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
    threads = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    return env | threads | {"HOME": home, "TMPDIR": home, "PYTHONHASHSEED": "0"}


def _rss_megabytes(pid: int) -> float:
    """Resident memory of ``pid`` in MB (0 where /proc is not available)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


class Sandbox:
    """One child process running ``cells`` and serving calls of ``function``.

    Use as a context manager; :meth:`call` returns the function's value or raises the
    exception the function raised (rebuilt, see :func:`remote_exception`) or
    :class:`Stopped`.
    """

    def __init__(
        self, cells: list[dict[str, str]], function: str, limits: Limits, blocked: list[str]
    ) -> None:
        self.cells, self.function, self.limits, self.blocked = cells, function, limits, blocked
        self.proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self.has_value, self.value = False, None  # the name is bound to a value, not a function
        self.signature: inspect.Signature | None = None  # the learner's function's

    # --- life cycle ------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the child, send it the job, and wait until its function is ready."""
        self.home = tempfile.mkdtemp(prefix="grading-")
        to_child, self._to_child = os.pipe()
        self._from_child, from_child = os.pipe()
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-I", str(CHILD), str(to_child), str(from_child)],
            pass_fds=(to_child, from_child),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.home,
            env=_environment(self.home),
            start_new_session=True,
        )
        os.close(to_child)
        os.close(from_child)
        _child.send(self._to_child, {
            "cpu_seconds": self.limits.cpu_seconds, "megabytes": self.limits.megabytes,
            "blocked": self.blocked, "cells": self.cells, "function": self.function,
        })  # fmt: skip
        reply = self._wait(self.limits.setup_seconds, "running the exercise cell")
        if reply.get("op") == "ready":
            self.signature = _rebuild_signature(reply.get("signature"))
            return
        if reply.get("op") == "value":
            try:
                self.value = decode(reply.get("value"))
            except (WireError, ValueError, TypeError) as err:
                raise Stopped("protocol", f"the child sent a malformed value ({err})") from err
            self.has_value = True
            return
        if reply.get("op") == "missing":
            raise Stopped("missing", f"the exercise cell does not define {self.function}")
        raise self._stop_for(reply, "setup")

    def close(self) -> None:
        """Kill the child (and anything it started) and release the pipes."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        if self.proc is not None:
            self.proc.wait()
        for fd in (getattr(self, "_to_child", -1), getattr(self, "_from_child", -1)):
            try:
                os.close(fd)
            except OSError:
                pass
        self._to_child = self._from_child = -1
        shutil.rmtree(getattr(self, "home", ""), ignore_errors=True)

    # --- calls ---------------------------------------------------------------------

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Call the learner's function in the child with these arguments."""
        callables: list[Any] = []
        try:
            message = {
                "op": "call",
                "args": encode(list(args), callables),
                "kwargs": encode(kwargs, callables),
            }
        except WireError as err:
            raise TypeError(f"the grader cannot send {err}") from None
        try:
            _child.send(self._to_child, message)
        except OSError as err:
            raise Stopped("died", "the process running your code has stopped") from err
        deadline = time.monotonic() + self.limits.seconds
        while True:
            reply = self._wait(deadline - time.monotonic(), "one call of your function")
            op = reply.get("op")
            if op == "return":
                try:
                    return decode(reply.get("value"))
                except (WireError, ValueError, TypeError) as err:
                    raise remote_exception("TypeError", f"your function returned {err}") from None
            if op == "callback":
                self._answer(reply, callables)
                continue
            if op == "raise" and not reply.get("memory") and not self._borrowed(reply):
                raise remote_exception(str(reply.get("etype")), str(reply.get("message", "")))
            raise self._stop_for(reply, "call")

    def _answer(self, request: dict[str, Any], callables: list[Any]) -> None:
        """Run a callback the child asked for (a function of the check) and send its value."""
        try:
            fn = callables[int(request["id"])]
            value = fn(*decode(request.get("args", [])), **decode(request.get("kwargs", {})))
            reply = {"op": "result", "value": encode(value)}
        except Exception as err:  # noqa: BLE001 - bad arguments from the learner's code
            reply = {"op": "error", "message": f"{type(err).__name__}: {err}"}
        _child.send(self._to_child, reply)

    # --- receiving -----------------------------------------------------------------

    def _wait(self, seconds: float, doing: str) -> dict[str, Any]:
        """The next message from the child, watching time, memory and the child's life."""
        assert self.proc is not None
        deadline = time.monotonic() + max(seconds, 0.0)
        while True:
            message = self._frame()
            if message is not None:
                return message
            left = deadline - time.monotonic()
            if left <= 0:
                limit = self.limits.seconds if doing.startswith("one call") else seconds
                raise Stopped("time", f"{doing} took longer than {limit:g} s (an endless loop?)")
            ready, _, _ = select.select([self._from_child], [], [], min(left, 0.05))
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if chunk:
                    self._buffer += chunk
                    continue
                raise self._died()
            if _rss_megabytes(self.proc.pid) > self.limits.megabytes:
                raise Stopped("memory", self._memory_message())

    def _frame(self) -> dict[str, Any] | None:
        if len(self._buffer) < 4:
            return None
        (size,) = struct.unpack(">I", self._buffer[:4])
        if size > _child.MAX_MESSAGE:
            raise Stopped("protocol", "your function returned more data than the grader reads")
        if len(self._buffer) < 4 + size:
            return None
        data, self._buffer = self._buffer[4 : 4 + size], self._buffer[4 + size :]
        try:
            import json

            message = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as err:
            raise Stopped("protocol", f"the child sent a malformed message ({err})") from err
        if not isinstance(message, dict):
            raise Stopped("protocol", "the child sent a malformed message")
        return message

    def _died(self) -> Stopped:
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        if code == -signal.SIGXCPU or code == -signal.SIGKILL:
            return Stopped(
                "time", f"your code used more than {self.limits.cpu_seconds:g} s of processor time"
            )
        return Stopped("died", f"the process running your code stopped (exit status {code})")

    def _memory_message(self) -> str:
        return f"your code used more than {self.limits.megabytes} MB of memory"

    @staticmethod
    def _borrowed(reply: dict[str, Any]) -> bool:
        message = str(reply.get("message", ""))
        return reply.get("etype") in ("ImportError", "ModuleNotFoundError") and message.startswith(
            "BORROWED:"
        )

    def _stop_for(self, reply: dict[str, Any], phase: str) -> Stopped:
        """A Stopped for a child's failure report (or an unexpected message)."""
        if reply.get("op") != "raise":
            return Stopped("protocol", f"unexpected message from the child: {reply.get('op')!r}")
        if reply.get("memory"):
            return Stopped("memory", self._memory_message())
        text = str(reply.get("message", ""))
        if self._borrowed(reply):
            return Stopped("borrowed", text.removeprefix("BORROWED: "))
        line = f" (line {reply['line']})" if reply.get("line") else ""
        where = "the exercise cell" if reply.get("where") == "exercise" else "the lesson's setup"
        return Stopped(phase, f"{where} raised {reply.get('etype')}{line}: {text}")
