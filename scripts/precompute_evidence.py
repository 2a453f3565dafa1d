"""Precompute lesson 08's evidence: seven optimizers, several seeds, default and tuned
learning rates, on the full Fashion-MNIST.

    python scripts/precompute_evidence.py [--jobs N] [--list] [--limit K]

Every run trains the MLP of lesson 08 (``lessons_lib.training``: 784-1024-512-512-512-10,
batch 256, the same 54,000 / 6,000 training / validation split, seed 0) and records, after
every epoch, the training, validation and test loss and accuracy, plus the optimizer
diagnostics of ``training.OptimizerProbe`` (update-to-weight ratio and effective step size
per layer). The job list, most valuable first:

1. ``default``: Keras' default learning rate, 50 epochs, seeds 1 and 2 of the six
   optimizers of lesson 08 and AdamW, then AdamW's seed 0;
2. ``decay``: Adam + L2 against AdamW at matched strength (both add ``lambda * w`` to the
   step's input: the gradient for L2, the update for AdamW), lambda = 0.01 and 0.1, seed 0;
3. ``default`` again: seed 0 of the six. (The six's seed 0 in
   ``data/full_run_histories.json`` is not reused: re-running its first two epochs on
   2026-12-01 gave numbers up to 0.005 away, so it is run again with this code; the
   summary reports how far the two seed-0 runs are apart.)
4. ``sweep``: each optimizer at 10^-1, 10^-0.5, 10^0.5, 10^1 times its default learning
   rate, 10 epochs, seed 0 (the default itself is the first 10 epochs of its 50-epoch run);
5. ``tuned``: the learning rate with the best mean validation accuracy over epochs 8-10 of
   the sweep, 50 epochs, seeds 0-4 (runs that coincide with a ``default`` run are shared).

Each run is one JSON file in ``data/evidence/runs/``, written atomically (temporary file,
then ``os.replace``), so an interrupted job loses only the run in progress: start the
script again and it skips what is finished. ``--jobs N`` trains N runs side by side in
separate processes with ``cores // N`` TensorFlow threads each. Each file records the
configuration, library versions, processor, git commit, load average and wall and CPU
time. ``scripts/summarize_evidence.py`` then aggregates whatever exists into
``data/evidence_summary.json`` and adds the checksums to ``data/SHA256SUMS``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lessons_lib.training import BATCH_SIZE, FAST_COMPILE, OPTIMIZERS  # noqa: E402

EVIDENCE_DIR = ROOT / "data" / "evidence"
RUNS_DIR = EVIDENCE_DIR / "runs"
FULL_RUN_FILE = ROOT / "data" / "full_run_histories.json"
EPOCHS, SWEEP_EPOCHS = 50, 10
SPLIT_SEED, VAL_FRACTION = 0, 0.1
SWEEP_FACTORS = (10**-1, 10**-0.5, 10**0.5, 10**1)
DECAY_STRENGTHS = (0.01, 0.1)
TUNED_SEEDS = (0, 1, 2, 3, 4)
PROBE_SIZE = 1024  # fixed training images for the one-step update-to-weight ratio
#: Keras 3.15 defaults, written out so the job list needs no TensorFlow (checked at run time)
DEFAULT_LR = {"SGD": 0.01, "Adagrad": 0.001, "RMSprop": 0.001, "Adam": 0.001,
              "Momentum": 0.01, "Nesterov": 0.01, "AdamW": 0.001}  # fmt: skip
SCHEMA = 1


# --------------------------------------------------------------------------- jobs
def job(phase: str, optimizer: str, lr: float, seed: int, epochs: int, *, l2: float = 0.0,
        weight_decay: float | None = None) -> dict:  # fmt: skip
    """One run's configuration; its file name is derived from it (not from ``phase``)."""
    return {"phase": phase, "optimizer": optimizer, "learning_rate": float(f"{lr:.6g}"),
            "seed": seed, "epochs": epochs, "l2": l2, "weight_decay": weight_decay}  # fmt: skip


def run_name(cfg: dict) -> str:
    name = f"{cfg['optimizer']}_lr{cfg['learning_rate']:.4g}_seed{cfg['seed']}_ep{cfg['epochs']}"
    if cfg["l2"]:
        name += f"_l2-{cfg['l2']:g}"
    if cfg["weight_decay"] is not None:
        name += f"_wd-{cfg['weight_decay']:g}"
    return name


def run_path(cfg: dict) -> Path:
    return RUNS_DIR / f"{run_name(cfg)}.json"


def first_jobs() -> list[dict]:
    """Phases 1-4 in order of value (phase 5 needs the sweep's results)."""
    jobs = [job("default", name, DEFAULT_LR[name], seed, EPOCHS)
            for seed in (1, 2) for name in OPTIMIZERS]  # fmt: skip
    jobs.append(job("default", "AdamW", DEFAULT_LR["AdamW"], 0, EPOCHS))
    for lam in DECAY_STRENGTHS:
        # L2 adds l2 * sum(W^2) to the loss, so 2 * l2 * W to the gradient: l2 = lambda / 2
        jobs.append(job("decay", "Adam", DEFAULT_LR["Adam"], 0, EPOCHS, l2=lam / 2))
        jobs.append(job("decay", "AdamW", DEFAULT_LR["AdamW"], 0, EPOCHS, weight_decay=lam))
    jobs += [job("default", name, DEFAULT_LR[name], 0, EPOCHS) for name in OPTIMIZERS
             if name != "AdamW"]  # fmt: skip
    for name in OPTIMIZERS:
        for factor in SWEEP_FACTORS:
            jobs.append(job("sweep", name, DEFAULT_LR[name] * factor, 0, SWEEP_EPOCHS))
    return jobs


def sweep_runs(name: str) -> dict[float, dict]:
    """Finished sweep runs of ``name`` by learning rate, the default's taken from the first
    ten epochs of its 50-epoch seed-0 run."""
    found = {}
    candidates = [job("sweep", name, DEFAULT_LR[name] * f, 0, SWEEP_EPOCHS) for f in SWEEP_FACTORS]
    candidates.append(job("default", name, DEFAULT_LR[name], 0, EPOCHS))
    for cfg in candidates:
        run = read_run(cfg)
        if run is not None:
            found[cfg["learning_rate"]] = run
    return found


def sweep_score(run: dict) -> float:
    """Mean validation accuracy over epochs 8-10 (a diverged run scores 0)."""
    values = run["history"]["val_accuracy"][SWEEP_EPOCHS - 3 : SWEEP_EPOCHS]
    values = [v if v is not None and math.isfinite(v) else 0.0 for v in values]
    return sum(values) / len(values)


def chosen_learning_rate(name: str) -> float | None:
    """The sweep's winner, or ``None`` while the sweep of ``name`` is incomplete."""
    runs = sweep_runs(name)
    if len(runs) < len(SWEEP_FACTORS) + 1:
        return None
    return max(runs, key=lambda lr: sweep_score(runs[lr]))


def tuned_jobs() -> list[dict]:
    jobs = []
    for seed in TUNED_SEEDS:
        for name in OPTIMIZERS:
            lr = chosen_learning_rate(name)
            if lr is not None:
                jobs.append(job("tuned", name, lr, seed, EPOCHS))
    return jobs


# --------------------------------------------------------------------------- files
def read_run(cfg: dict) -> dict | None:
    """The finished run of ``cfg``, or ``None`` (missing, unreadable or another config)."""
    path = run_path(cfg)
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = {k: v for k, v in run.get("config", {}).items() if k != "phase"}
    wanted = {k: v for k, v in cfg.items() if k != "phase"}
    complete = len(run.get("history", {}).get("val_accuracy", [])) == cfg["epochs"]
    return run if same == wanted and complete else None


def write_json(path: Path, payload: dict) -> None:
    """Write to a temporary file in the same folder, then os.replace (atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=1, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def clean(value):
    """Floats rounded to 6 significant digits; NaN and infinity (a diverged run) -> None."""
    if isinstance(value, np.floating):
        value = float(value)
    if isinstance(value, int):  # counts and shapes stay integers (bool is an int too)
        return value
    if isinstance(value, float):
        return float(f"{value:.6g}") if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- provenance
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, timeout=10, check=True)  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "lessons_lib", "scripts"],
                               cwd=ROOT, capture_output=True, text=True, timeout=10)  # fmt: skip
        return out.stdout.strip() + ("+uncommitted" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(threads: int) -> dict:
    import keras
    import numpy
    import tensorflow

    return {
        "versions": {"python": platform.python_version(), "numpy": numpy.__version__,
                     "tensorflow": tensorflow.__version__, "keras": keras.__version__},
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(),
                    "system": f"{platform.system()} {platform.release()}"},
        "git_commit": git_commit(),
        "intra_op_threads": threads,
        "inter_op_threads": 1,
        "compile": FAST_COMPILE,
        "batch_size": BATCH_SIZE,
        "split": {"seed": SPLIT_SEED, "val_fraction": VAL_FRACTION},
        "command": "python scripts/precompute_evidence.py",
    }  # fmt: skip


# --------------------------------------------------------------------------- worker
_STATE: dict = {}


def init_worker(threads: int) -> None:
    """Per process: TensorFlow with ``threads`` intra-op threads, the data split once."""
    from lessons_lib.data import load_fashion_mnist
    from lessons_lib.training import default_learning_rate, prepare, setup_tensorflow

    setup_tensorflow(inter_op_threads=1, intra_op_threads=threads)
    data = load_fashion_mnist(verbose=False)
    if len(data[0][1]) != 60_000:
        raise SystemExit("the evidence needs the full Fashion-MNIST (see data/README.md)")
    for name, lr in DEFAULT_LR.items():
        if abs(default_learning_rate(name) - lr) > 1e-6 * lr:  # Keras stores float32
            raise SystemExit(f"Keras' default learning rate of {name} is not {lr}: update "
                             "DEFAULT_LR (and re-run everything)")  # fmt: skip
    _STATE.update(split=prepare(data, VAL_FRACTION, seed=SPLIT_SEED), threads=threads)


def _EpochLog(name: str):  # noqa: N802 (a class factory: Keras is imported late)
    """A callback printing one line per epoch (seconds, validation accuracy) to the log."""
    import keras

    class EpochLog(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            print(
                f"  {name} epoch {epoch + 1}: {time.perf_counter() - self.start:.2f} s, "
                f"val_acc {(logs or {}).get('val_accuracy', float('nan')):.4f}",
                flush=True,
            )

    return EpochLog()


def train_run(cfg: dict, probe: bool = True, log_epochs: bool = True) -> dict:
    """Train one configuration; return the file's content."""
    from lessons_lib.training import OptimizerProbe, build_mlp, keras_optimizer, train

    split = _STATE["split"]
    extra = {} if cfg["weight_decay"] is None else {"weight_decay": cfg["weight_decay"]}
    opt = keras_optimizer(cfg["optimizer"], cfg["learning_rate"], **extra)
    if cfg["weight_decay"] is not None:
        opt.exclude_from_weight_decay(var_names=["bias"])  # L2 acts on kernels only, too
    callbacks = [OptimizerProbe(split.x_train[:PROBE_SIZE], split.y_train[:PROBE_SIZE])]
    if log_epochs:
        callbacks.append(_EpochLog(run_name(cfg)))
    model = build_mlp(cfg["seed"], l2=cfg["l2"])
    start = time.perf_counter()
    cpu, load = time.process_time(), os.getloadavg()[0]
    history = train(opt, split, cfg["epochs"], seed=cfg["seed"], test_every_epoch=True,
                    callbacks=callbacks if probe else [], model=model)  # fmt: skip
    meta = provenance(_STATE["threads"])
    meta.update(wall_seconds=round(time.perf_counter() - start, 1),
                cpu_seconds=round(time.process_time() - cpu, 1),
                load_average_start=round(load, 2), load_average_end=round(os.getloadavg()[0], 2),
                finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))  # fmt: skip
    diagnostics = None
    if probe:
        diagnostics = {"layers": callbacks[0].layers, **callbacks[0].record,
                       "probe_images": PROBE_SIZE}  # fmt: skip
    return {"schema": SCHEMA, "config": cfg, "history": clean(history),
            "diagnostics": clean(diagnostics), "provenance": meta}  # fmt: skip


def do_job(cfg: dict) -> str:
    if read_run(cfg) is not None:
        return f"{run_name(cfg)}: already done"
    run = train_run(cfg)
    write_json(run_path(cfg), run)
    h, p = run["history"], run["provenance"]
    acc = h["test_accuracy"][-1]
    acc_text = "diverged" if acc is None else f"{100 * acc:.2f} %"
    return (
        f"{run_name(cfg)} [{cfg['phase']}]: test {acc_text}, {p['wall_seconds']:.0f} s "
        f"({p['wall_seconds'] / cfg['epochs']:.2f} s/epoch, load {p['load_average_end']})"
    )


# --------------------------------------------------------------------------- main
def run_all(jobs: list[dict], n_jobs: int, threads: int) -> None:
    todo = [cfg for cfg in jobs if read_run(cfg) is None]
    print(f"{len(jobs) - len(todo)} of {len(jobs)} runs already done; {len(todo)} to go",
          flush=True)  # fmt: skip
    if n_jobs == 1:
        for cfg in todo:
            print(do_job(cfg), flush=True)
        return
    with ProcessPoolExecutor(n_jobs, initializer=init_worker, initargs=(threads,)) as pool:
        for line in pool.map(do_job, todo):
            print(line, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="runs side by side (processes)")
    parser.add_argument("--list", action="store_true", help="print the job list and stop")
    parser.add_argument("--limit", type=int, default=None, help="run at most K jobs")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    if not 1 <= args.jobs <= cores:
        parser.error(f"--jobs must be between 1 and the number of cores ({cores})")
    threads = max(1, cores // args.jobs)
    jobs = first_jobs()
    if args.list:
        for cfg in jobs + tuned_jobs():
            done = "done" if read_run(cfg) else "todo"
            print(f"{done}  {cfg['phase']:<8}{run_name(cfg)}")
        return
    start = time.perf_counter()
    if args.limit is not None:
        jobs = jobs[: args.limit]
    import multiprocessing

    multiprocessing.set_start_method("spawn", force=True)
    init_worker(threads if args.jobs == 1 else cores)
    run_all(jobs, args.jobs, threads)
    if args.limit is None:
        tuned = tuned_jobs()
        print(f"tuned learning rates: { {c['optimizer']: c['learning_rate'] for c in tuned} }",
              flush=True)  # fmt: skip
        run_all(tuned, args.jobs, threads)
    print(f"total {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
