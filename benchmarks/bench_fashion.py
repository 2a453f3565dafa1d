"""How fast the Fashion-MNIST MLP trains, against how fast this machine multiplies matrices.

    python benchmarks/bench_fashion.py [--epochs 3] [--configs plain notebook ...]

1. NumPy float32 matrix products: the MLP's own shapes (batch 256) and a 2048 square,
   best of several repeats; the best is the machine's "matmul" FLOP/s.
2. Training FLOP/s of the MLP 784-1024-512-512-512-10 with Adam, batch 256, on the 54,000
   training images of notebook 08: 6 x parameters x samples per epoch (forward 2, backward
   4 FLOPs per weight and sample), divided by the best epoch time (training only, after one
   warm-up epoch that includes compilation). Each configuration runs in a fresh process
   (thread settings must be made before TensorFlow starts):

   plain        ``fit(x, y, batch_size=256)``, everything default (Keras 3 then compiles
                with XLA by itself: ``jit_compile="auto"``)
   no-xla       as plain, ``jit_compile=False`` (TensorFlow's own kernels, oneDNN)
   spe          XLA + ``steps_per_execution=64`` (fewer Python round trips)
   spe-1t       spe with one inter-op thread (the intra-op pool keeps its 2)
   notebook-2t  XLA + steps_per_execution + the in-memory tf.data pipeline of
                ``training.train_dataset``, default threads
   notebook     notebook-2t with one inter-op thread: what notebook 08 and
                ``scripts/precompute_full_run.py`` use (``training.setup_tensorflow``)
   epoch-1t     notebook with a whole epoch (211 steps) per call
   no-xla-data  no XLA, steps_per_execution, tf.data

Prints, per configuration, seconds per epoch, GFLOP/s and its ratio to matmul, and the
projected wall time of the full 4 x 50-epoch comparison (training + the validation
evaluation after each epoch, as in the notebook's ``full`` mode; the precompute script
also evaluates the test set every epoch, about 0.3 s more). Other processes on the same
cores make every wall figure lower, so the load average is printed, and each rate is also
given per second of CPU time (summed over threads) against NumPy's rate per CPU second:
that ratio measures how well the cycles are used and changes less when the machine is
shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {
    "plain": {"mode": "arrays"},
    "no-xla": {"mode": "arrays", "jit_compile": False},
    "spe": {"mode": "arrays", "jit_compile": True, "steps_per_execution": 64},
    "spe-1t": {"mode": "arrays", "jit_compile": True, "steps_per_execution": 64,
               "inter_op": 1},  # fmt: skip
    "notebook-2t": {"mode": "notebook", "inter_op": 2},
    "notebook": {"mode": "notebook", "inter_op": 1},
    "epoch-1t": {"mode": "dataset", "jit_compile": True, "steps_per_execution": 211,
                 "inter_op": 1},  # fmt: skip
    "no-xla-data": {"mode": "dataset", "jit_compile": False, "steps_per_execution": 64},
}
TRAIN_SAMPLES = 54_000


def parameters() -> int:
    sizes = (784, 1024, 512, 512, 512, 10)
    return sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))


def matmul_flops(repeats: int = 10) -> dict[str, tuple[float, float]]:
    """NumPy float32 products, the MLP's shapes and a 2048 square: best GFLOP per second of
    wall time and best GFLOP per second of CPU time (summed over threads)."""
    rng = np.random.default_rng(0)
    shapes = {
        "256x784 @ 784x1024": (256, 784, 1024),
        "256x1024 @ 1024x512": (256, 1024, 512),
        "1024x256 @ 256x512": (1024, 256, 512),
        "2048 square": (2048, 2048, 2048),
    }
    results = {}
    for label, (m, k, n) in shapes.items():
        a = rng.random((m, k), dtype=np.float32)
        b = rng.random((k, n), dtype=np.float32)
        # enough products per timing for ~0.1 s: CPU clocks tick coarsely in some VMs
        inner = max(1, int(2e10 / (2 * m * k * n)))

        def products(a=a, b=b, inner=inner):
            for _ in range(inner):
                a @ b

        times = [_timed(products) for _ in range(repeats + 1)][1:]
        flops = 2 * m * k * n * inner / 1e9
        results[label] = (flops / min(t[0] for t in times), flops / min(t[1] for t in times))
    return results


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) spent in ``fn()``."""
    t, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t, time.process_time() - c


# --------------------------------------------------------------------------- worker
def worker(name: str, epochs: int) -> dict:
    """Train in this (fresh) process with configuration ``name``; return its timings."""
    cfg = CONFIGS[name]
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.path.insert(0, str(ROOT))
    import tensorflow as tf

    if "inter_op" in cfg:
        tf.config.threading.set_inter_op_parallelism_threads(cfg["inter_op"])
    import keras

    from lessons_lib.data import load_fashion_mnist
    from lessons_lib.training import (
        FAST_COMPILE,
        build_mlp,
        prepare,
        train_dataset,
    )

    split = prepare(load_fashion_mnist(verbose=False))
    model = build_mlp(seed=0)
    if cfg["mode"] == "notebook":
        compile_args = dict(FAST_COMPILE)
    else:
        compile_args = {k: cfg[k] for k in ("jit_compile", "steps_per_execution") if k in cfg}
    model.compile(keras.optimizers.Adam(), "sparse_categorical_crossentropy",
                  metrics=["accuracy"], **compile_args)  # fmt: skip
    if cfg["mode"] == "arrays":
        fit_args = {"x": split.x_train, "y": split.y_train, "batch_size": 256}
    else:
        fit_args = {"x": train_dataset(split.x_train, split.y_train, seed=0), "shuffle": False}
    times: list[float] = []
    cpu: list[float] = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t, self.c = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)
            cpu.append(time.process_time() - self.c)

    model.fit(**fit_args, epochs=epochs + 1, verbose=0, callbacks=[Clock()])
    x_eval, y_eval = split.x_val, split.y_val
    model.evaluate(x_eval, y_eval, batch_size=2000, verbose=0)
    eval_seconds = min(
        _timed(lambda: model.evaluate(x_eval, y_eval, batch_size=2000, verbose=0))[0]
        for _ in range(3)
    )
    return {"config": name, "warmup": times[0], "epochs": times[1:], "cpu": cpu[1:],
            "eval": eval_seconds, "compile": compile_args}  # fmt: skip


# --------------------------------------------------------------------------- report
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per configuration")
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--worker", choices=list(CONFIGS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.epochs)))
        return

    flops_epoch = 6 * parameters() * TRAIN_SAMPLES
    print(f"MLP: {parameters():,} parameters; 6 x params x {TRAIN_SAMPLES:,} samples = "
          f"{flops_epoch / 1e9:.0f} GFLOP per epoch; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    mm = matmul_flops()
    for label, (wall, cpu) in mm.items():
        print(f"  numpy float32 matmul {label:<20} {wall:6.1f} GFLOP/s wall {cpu:6.1f} per CPU-s")
    peak = max(w for w, _ in mm.values())
    peak_cpu = max(c for _, c in mm.values())
    print(f"  matmul reference (best)                   {peak:6.1f} GFLOP/s wall "
          f"{peak_cpu:6.1f} per CPU-s\n")  # fmt: skip
    print(f"{'config':<12} {'s/epoch':>8} {'median':>7} {'GFLOP/s':>8} {'of matmul':>9} "
          f"{'CPU-s':>6} {'per CPU-s':>9} {'of matmul':>9} {'4x50 min':>9}")  # fmt: skip
    rows = []
    for name in args.configs:
        out = subprocess.run(
            [sys.executable, __file__, "--worker", name, "--epochs", str(args.epochs)],
            capture_output=True, text=True, check=False,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )  # fmt: skip
        if out.returncode != 0:
            print(f"{name:<12} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        best, median, cpu = min(r["epochs"]), float(np.median(r["epochs"])), min(r["cpu"])
        gflops, per_cpu = flops_epoch / best / 1e9, flops_epoch / cpu / 1e9
        full_run = 200 * (best + r["eval"]) / 60
        rows.append((name, gflops))
        print(f"{name:<12} {best:8.2f} {median:7.2f} {gflops:8.1f} {gflops / peak:9.0%} "
              f"{cpu:6.1f} {per_cpu:9.1f} {per_cpu / peak_cpu:9.0%} {full_run:9.1f}",
              flush=True)  # fmt: skip
    if rows:
        base = dict(rows).get("plain")
        if base:
            print("\nspeed-up over plain fit: "
                  + ", ".join(f"{n} {g / base:.2f}x" for n, g in rows if n != "plain"))  # fmt: skip
    print(f"load average at the end {os.getloadavg()[0]:.2f} (above ~0.5 other processes "
          "shared these cores: figures are lower bounds)")


if __name__ == "__main__":
    main()
