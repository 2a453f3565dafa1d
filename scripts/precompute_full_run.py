"""Run the full Fashion-MNIST comparison once and save its histories for notebook 08.

    python scripts/precompute_full_run.py [--epochs 50] [--only Adam SGD] [--out FILE]

Trains the MLP of seed 002 (784-1024-512-512-512-10, batch 256) for ``--epochs`` epochs
with each optimizer of ``lessons_lib.training.OPTIMIZERS`` but AdamW (Keras defaults,
plus SGD with momentum 0.9 and with Nesterov), all from the same seeded initial weights
and shuffling, validating on 10 % of the training set. Test accuracy is recorded after
every epoch too, only so the notebook can show why choosing an epoch by it misleads.

Saves ``data/full_run_histories.json`` (or ``--out``): per optimizer its per-epoch
histories and wall time, and under ``meta`` the command, library versions, machine,
load average and total wall time. The file is rewritten atomically after each optimizer,
so an interrupted run keeps what finished (``--only`` re-runs some and keeps the rest).
The machine description and the atomic write are ``precompute_evidence.py``'s, which
remakes these runs with several seeds (this script keeps the stored run's format).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from precompute_evidence import cpu_model, write_json  # noqa: E402

from lessons_lib.data import load_fashion_mnist  # noqa: E402
from lessons_lib.interactive.capstone import FULL_RUN_FILE, live_progress  # noqa: E402
from lessons_lib.training import (  # noqa: E402
    BATCH_SIZE,
    FAST_COMPILE,
    OPTIMIZERS,
    prepare,
    setup_tensorflow,
    train,
)

#: the six of lesson 08's full run (AdamW is in the evidence runs only)
SIX = [name for name in OPTIMIZERS if name != "AdamW"]


def machine() -> dict:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def versions() -> dict:
    import keras
    import numpy
    import tensorflow

    return {"numpy": numpy.__version__, "tensorflow": tensorflow.__version__,
            "keras": keras.__version__}  # fmt: skip


def rounded(history: dict) -> dict:
    return {k: [round(float(v), 6) for v in vals] for k, vals in history.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--only", nargs="+", choices=SIX, default=SIX)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(FULL_RUN_FILE))
    args = parser.parse_args()
    out = Path(args.out)
    previous = json.loads(out.read_text()) if out.is_file() else {}
    histories = previous.get("histories", {}) if set(args.only) != set(SIX) else {}

    setup_tensorflow()
    split = prepare(load_fashion_mnist(), val_fraction=0.1, seed=args.seed)
    meta = {
        "command": " ".join(["python scripts/precompute_full_run.py", *sys.argv[1:]]),
        "epochs": args.epochs,
        "seed": args.seed,
        "batch_size": BATCH_SIZE,
        "train_val_test": [len(split.y_train), len(split.y_val), len(split.y_test)],
        "compile": FAST_COMPILE,
        "inter_op_threads": 1,
        "versions": versions(),
        "machine": machine(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "date": time.strftime("%Y-%m-%d"),
    }
    start, cpu_start = time.perf_counter(), time.process_time()
    progress = live_progress(args.epochs)
    for name in args.only:
        t0 = time.perf_counter()
        history = train(name, split, args.epochs, seed=args.seed, test_every_epoch=True,
                        callbacks=[progress.named(name)])  # fmt: skip
        history = rounded(history)
        history["wall_seconds"] = round(time.perf_counter() - t0, 1)
        histories[name] = history
        meta["wall_seconds"] = round(time.perf_counter() - start, 1)
        meta["cpu_seconds"] = round(time.process_time() - cpu_start, 1)
        meta["load_average_at_end"] = round(os.getloadavg()[0], 2)
        write_json(out, {"meta": meta, "histories": histories})
        print(f"{name}: test accuracy {history['test_accuracy'][-1]:.4f}, "
              f"{history['wall_seconds']:.0f} s", flush=True)  # fmt: skip
    print(f"total {time.perf_counter() - start:.0f} s -> {out.name}")


if __name__ == "__main__":
    main()
