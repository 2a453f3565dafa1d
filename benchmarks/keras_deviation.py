"""Measure how far the reference optimizers are from Keras, for every tested configuration.

Runs exactly the comparisons of ``tests/test_keras_equivalence.py`` (same configs, same
100-step problems, same deviation: max over steps of max|keras - ref| / max|ref|) and
prints each deviation and the largest, so the figures quoted in reports can be re-made:

    python benchmarks/keras_deviation.py
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from lessons_lib import optimizers  # noqa: E402

TESTS = Path(__file__).resolve().parents[1] / "tests" / "test_keras_equivalence.py"


def load_cases():
    spec = importlib.util.spec_from_file_location("keras_cases", TESTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    m = load_cases()
    keras = m.keras
    groups: dict[str, list[tuple[str, float]]] = {
        "float64, from_keras": [],
        "float64, to_keras": [],
        "float64, decimal values Keras must round": [],
        "float32 Keras vs float64 reference": [],
    }
    for case, (name, config) in m.FROM_KERAS.items():
        result = m.keras_paths(getattr(keras.optimizers, name)(**config))
        twin = optimizers.from_keras(name, **config)
        groups["float64, from_keras"].append(
            (case, m.max_deviation(result, m.reference_paths(twin)))
        )
    for case, make in m.TO_KERAS.items():
        opt = make()
        result = m.keras_paths(optimizers.to_keras(opt))
        groups["float64, to_keras"].append((case, m.max_deviation(result, m.reference_paths(opt))))

    decimal = groups["float64, decimal values Keras must round"]
    adam = dict(learning_rate=0.01, beta_1=0.9, beta_2=0.999)
    result = m.keras_paths(keras.optimizers.Adam(**adam))
    decimal.append(
        (
            "Adam(0.01, 0.9, 0.999)",
            m.max_deviation(result, m.reference_paths(optimizers.from_keras("Adam", **adam))),
        )
    )
    sgd = optimizers.SGD(learning_rate=0.05, momentum=0.9)
    result = m.keras_paths(optimizers.to_keras(sgd))
    decimal.append(
        ("to_keras(SGD(0.05, momentum=0.9))", m.max_deviation(result, m.reference_paths(sgd)))
    )

    config = dict(learning_rate=0.01, beta_1=0.9, beta_2=0.999, amsgrad=True)
    result = m.keras_paths(keras.optimizers.Adam(**config), dtype="float32")
    groups["float32 Keras vs float64 reference"].append(
        (
            "Adam(0.01, amsgrad=True)",
            m.max_deviation(result, m.reference_paths(optimizers.from_keras("Adam", **config))),
        )
    )

    for title, rows in groups.items():
        print(f"\n{title}")
        for case, dev in rows:
            print(f"  {case:40s} {dev:.2e}")
        worst = max(rows, key=lambda row: row[1])
        print(f"  largest: {worst[1]:.2e} ({worst[0]})")


if __name__ == "__main__":
    main()
