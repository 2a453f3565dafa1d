"""What the grader learns from a cell's source without running it.

* :func:`inspect_exercise`: a submitted exercise cell's syntax, its borrowed answers
  (imports of a reference library: ``lessons_lib``, Keras, TensorFlow, PyTorch, optax, JAX)
  and the constructs the grader refuses (imports outside a short list, ``exec``, ``open``,
  private and dunder attributes, NumPy's file and foreign-function corners such as
  ``np.ctypeslib``): an exercise computes its answer from its arguments with NumPy.
* :func:`statements`, :func:`binds`, :func:`reads`, :func:`setup_slice`: the lesson's own
  statements that an exercise cell needs (its imports and constants), so the child runs
  those and nothing else of the lesson.
"""

from __future__ import annotations

import ast
import re
import symtable
import threading
from dataclasses import dataclass, field

__all__ = [
    "BORROWED_MODULES",
    "ALLOWED_MODULES",
    "Findings",
    "inspect_exercise",
    "strip_magics",
    "parse",
    "statements",
    "binds",
    "reads",
    "imported_module",
    "setup_slice",
    "library_imports",
    "allowance",
]

# Libraries that hold a reference answer to some exercise: using them is borrowing.
BORROWED_MODULES = (
    "lessons_lib", "keras", "tensorflow", "tf_keras", "torch", "optax", "jax", "flax",
)  # fmt: skip
# What an exercise cell may import: numerics and the small standard helpers.
ALLOWED_MODULES = (
    "numpy", "math", "cmath", "functools", "itertools", "operator", "collections", "typing",
    "dataclasses", "numbers", "fractions", "statistics", "__future__", "warnings",
)  # fmt: skip
REFUSED_NAMES = frozenset(
    "__import__ __builtins__ __loader__ __spec__ exec eval compile open globals locals vars "
    "breakpoint input getattr setattr delattr memoryview".split()
)
# Attributes that reach past arithmetic: files, foreign functions, the operating system
# (np.ctypeslib.ctypes, np.save, ...), and private ones (a leading underscore).
REFUSED_ATTRIBUTES = frozenset(
    "ctypeslib ctypes f2py distutils load save savez savez_compressed savetxt loadtxt "
    "genfromtxt fromfile tofile memmap open_memmap DataSource os sys subprocess builtins "
    "modules meta_path path_hooks".split()
)
_PRIVATE = re.compile(r"^_")
# CPython 3.11 keeps the AST converter's recursion counter per interpreter, not per thread:
# two threads parsing at once can fail with "AST constructor recursion depth mismatch".
_AST_LOCK = threading.Lock()


def parse(text: str) -> ast.Module:
    """``ast.parse`` of ``text`` with magics blanked, one thread at a time.

    The lock covers this module's parses only; a conversion elsewhere in the process can
    still move the shared counter (seen in CI: "AST constructor recursion depth mismatch
    (before=48, after=67)" while grading with two threads; CPython issue 106905). The
    error says nothing about ``text``, and parsing has no side effects, so it is parsed
    again, up to three times in all."""
    with _AST_LOCK:
        for attempt in (1, 2, 3):
            try:
                return ast.parse(strip_magics(text))
            except SystemError as err:
                if "recursion depth mismatch" not in str(err) or attempt == 3:
                    raise


@dataclass
class Findings:
    """What :func:`inspect_exercise` found; ``borrowed`` and ``refused`` are messages."""

    syntax_error: str = ""
    borrowed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def strip_magics(source: str) -> str:
    """``source`` with IPython magics and shell lines blanked (line numbers kept)."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n")
    )


def _root(module: str) -> str:
    return module.split(".")[0]


def _position(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def inspect_exercise(source: str, allowed: frozenset[str] = frozenset()) -> Findings:
    """Syntax, borrowed imports and refused constructs of an exercise cell's ``source``;
    imports of the modules in ``allowed`` (see :func:`allowance`) are not borrowing."""
    found = Findings()
    try:
        tree = parse(source)
    except SyntaxError as err:
        found.syntax_error = f"SyntaxError (line {err.lineno}): {err.msg}"
        return found
    for node in sorted(ast.walk(tree), key=_position):
        for module in _imports(node):
            if module in allowed:
                continue
            if _root(module) in BORROWED_MODULES:
                found.borrowed.append(f"line {node.lineno} imports {module}")
            elif _root(module) not in ALLOWED_MODULES:
                found.refused.append(
                    f"line {node.lineno} imports {module} (an exercise may import only "
                    f"{', '.join(ALLOWED_MODULES[:3])}, ...)"
                )
        if isinstance(node, ast.Name) and node.id in REFUSED_NAMES:
            found.refused.append(f"line {node.lineno} uses {node.id}")
        if isinstance(node, ast.Attribute) and (
            _PRIVATE.match(node.attr) or node.attr in REFUSED_ATTRIBUTES
        ):
            found.refused.append(f"line {node.lineno} uses the attribute {node.attr}")
    return found


def _imports(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return ["." * node.level + (node.module or "")]
        return [node.module or ""]
    return []


def imported_module(stmt: ast.stmt) -> str:
    """The module a top-level import statement imports ('' for other statements)."""
    modules = _imports(stmt)
    return modules[0] if modules else ""


def statements(source: str) -> list[ast.stmt]:
    """Top-level statements of a trusted cell (magics blanked); [] if it does not parse."""
    try:
        return parse(source).body
    except SyntaxError:
        return []


def binds(stmt: ast.stmt) -> set[str]:
    """Names a top-level statement binds in the module namespace."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names if a.name != "*"}
    names: set[str] = set()
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue  # their insides are local
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        if isinstance(node, (ast.Import, ast.ImportFrom)):  # inside an if / try
            names |= binds(node)
        todo.extend(ast.iter_child_nodes(node))
    return names


def reads(node: ast.AST) -> set[str]:
    """The global names a statement (or cell) reads, in its own code or in the bodies of the
    functions it defines; a function's parameters and locals are not global."""
    code = ast.unparse(node)
    try:
        with _AST_LOCK:
            top = symtable.symtable(code, "cell", "exec")
    except SyntaxError:
        return set()

    def walk(table: symtable.SymbolTable) -> set[str]:
        here = {
            s.get_name()
            for s in table.get_symbols()
            if s.is_referenced() and (table is top or s.is_global())
        }
        return here.union(*(walk(child) for child in table.get_children()))

    return walk(top)


def library_imports(sources: list[str]) -> dict[str, str]:
    """{name: module} for every top-level import of a borrowed module in these cells."""
    found: dict[str, str] = {}
    for text in sources:
        for stmt in statements(text):
            module = imported_module(stmt)
            if module and _root(module) in BORROWED_MODULES:
                found.update(dict.fromkeys(binds(stmt), module))
    return found


def allowance(cell_source: str, lesson_imports: dict[str, str]) -> list[str]:
    """What an exercise's own solution takes from a reference library, so using it is not
    borrowing: the names it reads that the lesson imports from one (``run``, ``SGD``), and
    the modules it imports itself. An exercise that asks the learner to *use* the library
    (tune a learning rate with the lesson's runner, say) gets them from its solution."""
    try:
        tree = parse(cell_source)
    except SyntaxError:
        return []
    names = {n for n in reads(tree) if n in lesson_imports}
    modules = {m for node in ast.walk(tree) for m in _imports(node) if _root(m) in BORROWED_MODULES}
    return sorted(names | modules)


def setup_slice(
    candidates: list[ast.stmt], needed: set[str], allowed: frozenset[str] = frozenset()
) -> tuple[list[ast.stmt], dict[str, str]]:
    """The statements of ``candidates`` (in order) that bind a name in ``needed``, followed
    back transitively; imports of a borrowed module are left out (unless every name they
    bind is ``allowed``) and returned instead as {name: module} so the caller can say which
    name would have been borrowed."""
    keep: list[ast.stmt] = []
    borrowed: dict[str, str] = {}
    wanted = set(needed)
    for stmt in reversed(candidates):
        bound = binds(stmt) & wanted
        if not bound:
            continue
        module = imported_module(stmt)
        library = module and (_root(module) in BORROWED_MODULES or module.startswith("."))
        if library and not bound <= allowed:
            borrowed.update(dict.fromkeys(bound, module))
            continue
        if library and isinstance(stmt, ast.ImportFrom):  # only the allowed names
            names = [a for a in stmt.names if (a.asname or a.name) in bound]
            stmt = ast.ImportFrom(module=stmt.module, names=names, level=stmt.level)
        keep.append(stmt)
        wanted |= reads(stmt)
    keep.reverse()
    return keep, {k: v for k, v in borrowed.items() if not any(k in binds(s) for s in keep)}
