"""Measure how far the reference optimizers and schedules are from Keras, for every tested
configuration, and print the largest deviation of each in one table.

Runs exactly the comparisons of ``tests/test_keras_equivalence.py`` (SGD, RMSprop,
Adagrad, Adam, AdamW; 100 steps), ``tests/test_keras_twins.py`` (the other nine
optimizers; 120 steps on six tensors) and ``tests/test_keras_schedules.py`` (the six schedules,
steps 0..399), with their deviations (optimizers: max over steps of
max|keras - ref| / max|ref|; schedules: max over steps of |keras - ours| / |ours|), so
the figures quoted in reports can be re-made. In float32 (Keras' default) it runs every
registered rule for 50 steps on a (3, 4) tensor as ``tests/test_keras_bridge.py`` does:
the rule inside Keras through the bridge against Keras' own optimizer (the same
operations in the same order: 0 means the same bits), and the float64 NumPy twin against
float32 Keras (what float32 arithmetic itself costs).

    python benchmarks/keras_deviation.py
"""

from __future__ import annotations

import importlib.util
import os
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

from lessons_lib import optimizers  # noqa: E402
from lessons_lib import schedules as lr_schedules  # noqa: E402

TESTS = Path(__file__).resolve().parents[1] / "tests"


def load(name: str):
    """Import ``tests/<name>.py`` (the tests are not a package)."""
    spec = importlib.util.spec_from_file_location(f"keras_cases_{name}", TESTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def print_group(title: str, rows: list[tuple[str, float]]) -> None:
    print(f"\n{title}")
    for case, dev in rows:
        print(f"  {case:44s} {dev:.2e}")
    worst = max(rows, key=lambda row: row[1])
    print(f"  largest: {worst[1]:.2e} ({worst[0]})")


def first_five(m, table) -> None:
    """SGD, RMSprop, Adagrad, Adam, AdamW (tests/test_keras_equivalence.py)."""
    keras = m.keras
    groups: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for case, (name, config) in m.FROM_KERAS.items():
        result = m.keras_paths(getattr(keras.optimizers, name)(**config))
        dev = m.max_deviation(result, m.reference_paths(optimizers.from_keras(name, **config)))
        groups["float64, from_keras"].append((case, dev))
        table[("optimizer", name)].append(dev)
    for case, make in m.TO_KERAS.items():
        opt = make()
        result = m.keras_paths(optimizers.to_keras(opt))
        groups["float64, to_keras"].append((case, m.max_deviation(result, m.reference_paths(opt))))

    adam = dict(learning_rate=0.01, beta_1=0.9, beta_2=0.999)
    result = m.keras_paths(keras.optimizers.Adam(**adam))
    twin = optimizers.from_keras("Adam", **adam)
    groups["float64, decimal values Keras must round"].append(
        ("Adam(0.01, 0.9, 0.999)", m.max_deviation(result, m.reference_paths(twin)))
    )
    sgd = optimizers.SGD(learning_rate=0.05, momentum=0.9)
    result = m.keras_paths(optimizers.to_keras(sgd))
    groups["float64, decimal values Keras must round"].append(
        ("to_keras(SGD(0.05, momentum=0.9))", m.max_deviation(result, m.reference_paths(sgd)))
    )
    config = dict(learning_rate=0.01, beta_1=0.9, beta_2=0.999, amsgrad=True)
    result = m.keras_paths(keras.optimizers.Adam(**config), dtype="float32")
    twin = optimizers.from_keras("Adam", **config)
    groups["float32 Keras vs float64 reference"].append(
        ("Adam(0.01, amsgrad=True)", m.max_deviation(result, m.reference_paths(twin)))
    )
    for title, rows in groups.items():
        print_group(f"SGD ... AdamW: {title}", rows)


def twins(m, table) -> None:
    """The nine others (tests/test_keras_twins.py): rule and class, from and to Keras."""
    rule_rows, class_rows, to_rows = [], [], []
    for case, (name, config) in m.CONFIGS.items():
        _, _, result = m._keras(case)
        rule_dev = m.deviation(result, m.twin_paths(m.TWINS[name], config,
                                                    floatx64=m.floatx64(case)))  # fmt: skip
        class_dev = m.deviation(result, m.class_paths(optimizers.from_keras(name, **config)))
        label = f"{case}{' (floatx float64)' if m.floatx64(case) else ''}"
        rule_rows.append((label, rule_dev))
        class_rows.append((label, class_dev))
        # the table quotes the rule against Keras as Keras runs it; the class made by
        # from_keras for float32 Keras differs from floatx-float64 Keras by its lr rounding
        table[("optimizer", name)].append(rule_dev if m.floatx64(case) else class_dev)
    for name, make in m.TO_KERAS.items():
        opt = make()
        result = m.keras_paths(optimizers.to_keras(opt))
        flagged = m.deviation(result, m.class_paths(opt.variant(**opt.rule.keras_flags)))
        as_built = m.deviation(result, m.class_paths(opt))
        to_rows += [(f"{name} (Keras' roundings on)", flagged), (f"{name} (as built)", as_built)]
    print_group("Nine twins: rule vs Keras (float64 variables)", rule_rows)
    print_group("Nine twins: optimizers.from_keras class vs Keras", class_rows)
    print_group("Nine twins: to_keras(class made directly) vs the class", to_rows)


def schedules(s, keras, table) -> dict[str, float]:
    """The six schedules (tests/test_keras_schedules.py), float64 and Python floats."""
    rows64, rows32 = [], []
    for case, (name, config) in s.CONFIGS.items():
        ours = lr_schedules.from_keras(name, **config)(np.arange(s.STEPS))
        theirs = s.keras_curve(getattr(keras.optimizers.schedules, name)(**config))
        dev = s.rel_dev(theirs, ours)
        rows64.append((case, dev))
        table[("schedule", name)].append(dev)
        plain = {k: (float(v) if isinstance(v, np.float64) else v) for k, v in config.items()}
        ours = lr_schedules.from_keras(name, **plain)(np.arange(s.STEPS))
        theirs = s.keras_curve(getattr(keras.optimizers.schedules, name)(**plain))
        rows32.append((case, float(np.max(np.abs(theirs - ours)) / np.max(ours))))
    print_group("Schedules, float64 arguments: max |keras - ours| / |ours|", rows64)
    print_group("Schedules, Python floats (Keras in float32): max |diff| / peak", rows32)
    largest: dict[str, float] = {}  # per Keras schedule class
    for (_case, dev), (name, _) in zip(rows32, s.CONFIGS.values(), strict=True):
        largest[name] = max(largest.get(name, 0.0), dev)
    return largest


def float32(b, table32) -> None:
    """Every registered rule on float32 weights (tests/test_keras_bridge.py's problem)."""
    import keras

    from lessons_lib.keras_bridge import keras_optimizer
    from lessons_lib.rules import REGISTRY

    grads = b._gradients()
    bridge_rows, twin_rows = [], []
    for name, rule in REGISTRY.items():
        if not rule.keras_name:
            continue
        keras_own = b._apply(getattr(keras.optimizers, rule.keras_name)(learning_rate=0.01),
                             grads, "float32")  # fmt: skip
        bridge = b._apply(keras_optimizer(name, learning_rate=0.01), grads, "float32")
        twin = optimizers.from_keras(rule.keras_name, learning_rate=0.01)
        w = np.linspace(-1, 1, 12).reshape(3, 4).astype(np.float32).astype(float)
        path = []
        for g in grads:
            w = twin.step(w, g.astype(np.float32).astype(float))
            path.append(w)
        scale = np.max(np.abs(keras_own))
        bridge_dev = float(np.max(np.abs(bridge - keras_own)) / scale)
        twin_dev = float(np.max(np.abs(np.array(path) - keras_own)) / scale)
        bridge_rows.append((rule.keras_name, bridge_dev))
        twin_rows.append((rule.keras_name, twin_dev))
        table32[rule.keras_name] = (bridge_dev, twin_dev)
    print_group("float32: rule in Keras (bridge) vs Keras' own, 50 steps", bridge_rows)
    print_group("float32 Keras vs the float64 NumPy twin, 50 steps", twin_rows)


def main() -> None:
    table: dict[tuple[str, str], list[float]] = defaultdict(list)
    five, twin_tests, schedule_tests = (
        load(name)
        for name in ("test_keras_equivalence", "test_keras_twins", "test_keras_schedules")
    )
    first_five(five, table)
    twins(twin_tests, table)
    schedule32 = schedules(schedule_tests, twin_tests.keras, table)
    table32: dict[str, tuple[float, float]] = {}
    float32(load("test_keras_bridge"), table32)

    print("\nLargest relative deviation from Keras 3, per optimizer and schedule")
    print("  float64: twin vs Keras on float64 variables (all configs); float32: the rule in")
    print("  Keras vs Keras' own (bridge; 0 = same bits) / float64 twin vs float32 Keras;")
    print("  schedules float32: Python-float arguments (Keras computes in float32), / peak")
    print(f"  {'kind':9s} {'Keras name':22s} {'configs':>7s} {'steps':>5s} {'float64':>9s}"
          f" {'f32 bridge':>10s} {'f32 twin':>9s}")  # fmt: skip
    for (kind, name), devs in table.items():
        if kind == "schedule":
            steps, f32 = schedule_tests.STEPS, f"{'-':>10s} {schedule32[name]:9.1e}"
        else:
            steps = twin_tests.STEPS if name in twin_tests.TWINS else five.STEPS
            bridge, twin = table32.get(name, (np.nan, np.nan))
            f32 = f"{bridge:10.1e} {twin:9.1e}"
        print(f"  {kind:9s} {name:22s} {len(devs):7d} {steps:5d} {max(devs):9.1e} {f32}")


if __name__ == "__main__":
    main()
