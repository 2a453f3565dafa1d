"""Benchmark: a 100 x 100 grid of (learning rate, beta) momentum runs on the quadratic.

One vectorized call (``run`` with ``(n, 1)`` arrays of hyperparameters) against a Python
loop that sends each run alone through the same library. Prints both times and the
ratio; the targets are <= 0.5 s for the vectorized call and a speed-up >= 50x.

    python benchmarks/bench_momentum_grid.py               # full loop (about a minute)
    python benchmarks/bench_momentum_grid.py --loop-runs 1000  # loop timed on a sample

With ``--loop-runs`` the loop time is measured on an evenly spread sample of runs and
scaled up to all of them (said so in the output).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from lessons_lib.functions import quadratic
from lessons_lib.optimizers import EWMAMomentum
from lessons_lib.runner import run

STEPS = 100
TARGET_SECONDS, TARGET_SPEEDUP = 0.5, 50.0


def grid(n_lr: int = 100, n_beta: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Learning rates (log-spaced) and betas of every run, each of shape (runs,)."""
    lr, beta = np.meshgrid(np.geomspace(1e-3, 10.0, n_lr), np.linspace(0.0, 0.99, n_beta))
    return lr.ravel(), beta.ravel()


def vectorized(objective, lrs, betas):
    opt = EWMAMomentum(learning_rate=lrs[:, None], beta=betas[:, None])
    return run(opt, objective, steps=STEPS)


def loop(objective, lrs, betas, indices):
    return [
        run(EWMAMomentum(learning_rate=lrs[i], beta=betas[i]), objective, steps=STEPS)
        for i in indices
    ]


def best_time(fn, repeats: int) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loop-runs", type=int, default=None, help="time the loop on a sample")
    parser.add_argument("--repeats", type=int, default=5, help="best of this many batch calls")
    args = parser.parse_args()

    objective = quadratic(kappa=10.0, L=1.0)
    lrs, betas = grid()
    n = lrs.size
    sample = n if args.loop_runs is None else min(max(args.loop_runs, 1), n)
    indices = np.linspace(0, n - 1, sample).round().astype(int)

    vectorized(objective, lrs[:10], betas[:10])  # warm-up: imports, first allocations
    t_batch, batch = best_time(lambda: vectorized(objective, lrs, betas), args.repeats)
    t0 = time.perf_counter()
    singles = loop(objective, lrs, betas, indices)
    t_loop = (time.perf_counter() - t0) * n / sample

    # the two ways must compute the same thing
    diff = max(
        float(np.nanmax(np.abs(batch.points[:, i] - s.points), initial=0.0))
        for i, s in zip(indices, singles, strict=True)
    )
    same_divergence = all(
        batch.diverged_at[i] == s.diverged_at for i, s in zip(indices, singles, strict=True)
    )

    speedup = t_loop / t_batch
    scaled = "" if sample == n else f" (measured on {sample} runs, scaled to {n})"
    print(f"{n:,} EWMA-momentum runs (100 learning rates x 100 betas), {STEPS} steps each,")
    print(f"on the quadratic with kappa = 10; {int(batch.diverged.sum()):,} runs diverge.")
    print(f"vectorized, one run() call : {t_batch:8.3f} s   (best of {args.repeats})")
    print(f"python loop, one run() each: {t_loop:8.3f} s{scaled}")
    print(f"speed-up                   : {speedup:8.0f} x")
    print(
        f"targets: vectorized <= {TARGET_SECONDS} s: {'yes' if t_batch <= TARGET_SECONDS else 'NO'}"
        f"; speed-up >= {TARGET_SPEEDUP:.0f}x: {'yes' if speedup >= TARGET_SPEEDUP else 'NO'}"
    )
    print(
        f"check: largest |batch - loop| over the compared runs = {diff:.1e}; "
        f"same divergence steps: {'yes' if same_divergence else 'NO'}"
    )


if __name__ == "__main__":
    main()
