"""Benchmark: one run of ``lessons_lib.mlp.train_mlp`` (Adam, 2 epochs on the 6,000-image
sample), with NumPy's BLAS on one thread (what ``train_mlp`` does) and on all of them.

    python benchmarks/bench_mlp.py [--repeats 5]

Prints the median and the slowest of the repeats for each, and their ratio. The target
(lessons 09 and 10 run several such runs inside nbval's 30 s) is a median <= 1 s per run
with one thread. Run it on an idle machine and again beside a busy one (another training
job, a second kernel): the many-thread time is the one that suffers.
"""

from __future__ import annotations

import argparse
import statistics
import time
from unittest import mock

from threadpoolctl import threadpool_limits

from lessons_lib import mlp
from lessons_lib.optimizers import Adam

TARGET_SECONDS = 1.0


def timed(repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        mlp.train_mlp(Adam(0.001), epochs=2)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    one = timed(args.repeats)
    with mock.patch.object(mlp, "threadpool_limits", lambda **_: threadpool_limits(None)):
        many = timed(args.repeats)
    for label, t in (("1 BLAS thread ", one), ("all BLAS threads", many)):
        print(f"{label}: median {statistics.median(t):.2f} s, slowest {max(t):.2f} s")
    ratio = statistics.median(many) / statistics.median(one)
    verdict = "met" if statistics.median(one) <= TARGET_SECONDS else "MISSED"
    print(f"all threads / one thread: {ratio:.1f}x; target median <= {TARGET_SECONDS} s: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
