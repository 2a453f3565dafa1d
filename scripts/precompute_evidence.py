"""Precompute the full-data evidence of lessons 08, 09 and 10 on Fashion-MNIST.

    python scripts/precompute_evidence.py [--jobs N] [--lessons 8 9 10] [--preview]
                                          [--list] [--limit K]

Every run trains the MLP of lesson 08 (``lessons_lib.training``: 784-1024-512-512-512-10,
batch 256, the same 54,000 / 6,000 training / validation split, seed 0) and records, after
every epoch, the training, validation and test loss and accuracy (lesson 08's runs also
the optimizer diagnostics of ``training.OptimizerProbe``: update-to-weight ratio and
effective step size per layer; lessons 09 and 10's the learning rate at the epoch's end).

Lesson 08, most valuable first:

1. ``default``: Keras' default learning rate, 50 epochs, seeds 1 and 2 of the six
   optimizers of lesson 08 and AdamW, then AdamW's seed 0;
2. ``decay``: Adam + L2 against AdamW at matched strength (both add ``lambda * w`` to the
   step's input: the gradient for L2, the update for AdamW), lambda = 0.01 and 0.1, seed 0;
3. ``default`` again: seed 0 of the six. (The six's seed 0 in
   ``data/full_run_histories.json`` is not reused: re-running its first two epochs on
   2026-12-01 gave numbers up to 0.005 away, so it is run again with this code; the
   summary reports how far the two seed-0 runs are apart.)
4. ``sweep``: each optimizer at 10^-1, 10^-0.5, 10^0.5, 10^1 times its default learning
   rate, 10 epochs, seed 0 (the default itself is the first 10 epochs of its 50-epoch run).
   The sweep **extends itself**: while the best learning rate (mean validation accuracy
   over epochs 8-10) is the largest or the smallest one tried, the next half-decade past
   that edge is run too (at most ``MAX_EXTENSION`` per side), because a winner at the
   edge of the grid only says the best rate lies at or beyond it. A run that diverges
   scores 0, so an extension ends at the latest where training blows up;
5. ``tuned``: the sweep's winner, 50 epochs, seeds 0-4 (runs that coincide with a
   ``default`` run are shared). Seed 0 runs first; if its training loss becomes NaN (a
   divergence the 10-epoch sweep could not see; it needs no validation or test data to
   notice), the winner is dropped and the sweep's next best rate is taken.

Lesson 09 (schedules; 30 epochs, seeds 0-2): SGD with momentum 0.9 and AdamW, each at a
constant learning rate and under cosine decay with linear warmup (Keras' ``CosineDecay``
from 0 to the peak over the first 2 epochs of steps, then down to 0 at the last step).
The rate (the constant one and the cosine's peak) is each optimizer's winner of lesson
08's sweep: tuned on validation for a constant rate, so the schedule gets no tuning
advantage, and the comparison changes one thing only, the shape over time.

Lesson 10 (after Adam; 20 epochs, seeds 0-1): Adam, AdamW, Nadam, Adamax, Adadelta, Lion,
Lamb, Adafactor, Muon and ScheduleFreeAdamW with all of Keras' defaults, plus the rate
the method's paper gives where Keras' default contradicts it (``LESSON10``: Adadelta at
1.0, Lion 10x below AdamW's default, Adafactor's relative-step cap 10^-2). Muon leaves the
output layer to its internal AdamW step, as Keras' documentation says to. Keras evaluates
ScheduleFreeAdamW at the model's weights, which are the interpolation point y; the
paper evaluates at the average x = (y - (1 - beta_1) z) / beta_1 (z = Keras' ``momentum``
slot), so its runs record both (``x_val_*``, ``x_test_*``: at x). Keras 3.15's step on
TensorFlow is not the paper's from the third step on (it reads z after updating it), so
ScheduleFreeAdamW is run twice: Keras' own and the paper's step
(:func:`schedule_free_paper`, option ``z_read_first``).

``--preview`` runs lessons 09 and 10 for 2 epochs with seed 0 only (a first look for the
lesson authors; their summaries say so).

Each run is one JSON file in ``data/evidence/runs/``, written atomically (temporary file,
then ``os.replace``), so an interrupted job loses only the run in progress: start the
script again and it skips what is finished. ``--jobs N`` trains N runs side by side in
separate processes with ``cores // N`` TensorFlow threads each. Each file records the
configuration, library versions, processor, git commit, load average and wall and CPU
time. The queue, by value per hour so that stopping early costs least: lesson 08's phases
1-4 (with the sweep's extensions), seeds 0-1 of lessons 09 and 10 (Muon, ten times dearer
per epoch, last, seed 0), seeds 0-2 of lesson 08's tuned runs, lesson 09's seed 2, the
other tuned seeds, Muon's seed 1. ``scripts/summarize_evidence.py`` then aggregates whatever
exists into ``data/evidence_summary.json`` (lesson 08) and
``data/evidence/lesson09_summary.json``, ``lesson10_summary.json``, and adds the checksums
to ``data/SHA256SUMS``.
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

from lessons_lib.training import (  # noqa: E402
    BATCH_SIZE,
    FAST_COMPILE,
    OPTIMIZERS,
)

EVIDENCE_DIR = ROOT / "data" / "evidence"
RUNS_DIR = EVIDENCE_DIR / "runs"
FULL_RUN_FILE = ROOT / "data" / "full_run_histories.json"
EPOCHS, SWEEP_EPOCHS = 50, 10
SPLIT_SEED, VAL_FRACTION = 0, 0.1
SWEEP_FACTORS = (10**-1, 10**-0.5, 10**0.5, 10**1)
#: the base grid in half-decades from the default (0 = the default itself), and how many
#: half-decades the sweep may extend past either edge
SWEEP_STEPS, MAX_EXTENSION = (-2, -1, 0, 1, 2), 3
DECAY_STRENGTHS = (0.01, 0.1)
TUNED_SEEDS = (0, 1, 2, 3, 4)
PROBE_SIZE = 1024  # fixed training images for the one-step update-to-weight ratio
#: Keras 3.15 defaults, written out so the job list needs no TensorFlow (checked at run time)
DEFAULT_LR = {"SGD": 0.01, "Adagrad": 0.001, "RMSprop": 0.001, "Adam": 0.001,
              "Momentum": 0.01, "Nesterov": 0.01, "AdamW": 0.001,
              "Nadam": 0.001, "Adamax": 0.001, "Adadelta": 0.001, "Lion": 0.001,
              "Lamb": 0.001, "Adafactor": 0.001, "Muon": 0.001,
              "ScheduleFreeAdamW": 0.0025}  # fmt: skip
SCHEMA = 1
#: what a configuration without these keys (lesson 08's first runs) means
CONFIG_DEFAULTS = {"lesson": 8, "schedule": None, "options": None}

#: lesson 09: epochs, seeds, the two optimizers, and the schedule besides a constant rate
L09_EPOCHS, L09_SEEDS, L09_OPTIMIZERS = 30, (0, 1, 2), ("Momentum", "AdamW")
COSINE = {"kind": "cosine_warmup", "warmup_epochs": 2, "alpha": 0.0}
#: lesson 10: epochs, seeds, and (optimizer, learning rate or None for Keras' default,
#: Keras arguments besides the defaults or None, why)
L10_EPOCHS, L10_SEEDS = 20, (0, 1)
#: Adafactor's epsilon_1 large enough that Keras' factored v cannot underflow (see below)
AF_EPS = {"epsilon_1": 1e-20}
AF_WHY = (
    "; epsilon_1 1e-20 instead of 1e-30: Keras forms v = (r / mean r) c, which underflows "
    "to 0 in float32 where a row and a column of the gradient are both zero (an always-black "
    "pixel, a dead ReLU unit), and then g / sqrt(v) = 0 / 0 = NaN spreads through the "
    "update clipping (the reference implementation multiplies rsqrt(r / mean r) rsqrt(c) "
    "and does not)"
)
LESSON10 = (
    ("Adam", None, None, "Keras' default"),
    ("AdamW", None, None, "Keras' default (weight_decay 0.004)"),
    ("Nadam", None, None, "Keras' default"),
    ("Adamax", None, None, "Keras' default"),
    ("Adadelta", None, None, "Keras' default 0.001"),
    ("Adadelta", 1.0, None, "the paper's: Adadelta has no learning rate, i.e. 1.0"),
    ("Lion", None, None, "Keras' default 0.001"),
    ("Lion", 1e-4, None, "the Lion paper: 3-10x smaller than AdamW's; AdamW's default / 10"),
    ("Lamb", None, None, "Keras' default"),
    ("Adafactor", None, None, "Keras' defaults: relative step min(0.001, 1/sqrt(t))"),
    ("Adafactor", None, AF_EPS, "Keras' relative step min(0.001, 1/sqrt(t))" + AF_WHY),
    ("Adafactor", 0.01, AF_EPS, "the paper's relative step min(0.01, 1/sqrt(t))" + AF_WHY),
    ("Muon", None, None, "Keras' default (rms_rate 0.2 scaling; output layer by AdamW)"),
    ("ScheduleFreeAdamW", None, None, "Keras' default 0.0025, no warmup; Keras' own step"),
    (
        "ScheduleFreeAdamW",
        None,
        {"z_read_first": 1},
        "Keras' default 0.0025, no warmup; each step the paper's Algorithm 1 (Keras 3.15 on "
        "TensorFlow reads z after updating it: see schedule_free_paper)",
    ),
)
#: Muon's Newton-Schulz steps make an epoch ~10x dearer on CPU: it runs later in the queue
COSTLY = ("Muon",)
PREVIEW_EPOCHS, PREVIEW_SEEDS = 2, (0,)


# --------------------------------------------------------------------------- jobs
def job(phase: str, optimizer: str, lr: float, seed: int, epochs: int, *, l2: float = 0.0,
        weight_decay: float | None = None, lesson: int = 8, schedule: dict | None = None,
        options: dict | None = None) -> dict:  # fmt: skip
    """One run's configuration; its file name is derived from it (not from ``phase``).
    ``schedule`` (lessons 09-10) is ``None`` for a constant rate or like :data:`COSINE`, whose
    peak is ``lr``."""
    cfg = {"phase": phase, "optimizer": optimizer, "learning_rate": float(f"{lr:.6g}"),
           "seed": seed, "epochs": epochs, "l2": l2, "weight_decay": weight_decay}  # fmt: skip
    if lesson != 8:  # lesson 08's files predate these keys
        cfg.update(lesson=lesson, schedule=schedule, options=options)
    return cfg


def schedule_tag(schedule: dict | None) -> str:
    if schedule is None:
        return "constant"
    if schedule["kind"] == "cosine_warmup":
        return f"cosine-warmup{schedule['warmup_epochs']:g}"
    raise ValueError(f"unknown schedule kind {schedule['kind']!r}")


def run_name(cfg: dict) -> str:
    name = f"{cfg['optimizer']}_lr{cfg['learning_rate']:.4g}_seed{cfg['seed']}_ep{cfg['epochs']}"
    lesson = cfg.get("lesson", 8)
    if lesson != 8:
        name = f"L{lesson:02d}_{name}"
        if cfg.get("schedule") is not None:
            name += f"_{schedule_tag(cfg['schedule'])}"
        for key, value in sorted((cfg.get("options") or {}).items()):
            name += f"_{key}-{value:g}"
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


def sweep_job(name: str, step: int) -> dict:
    """The sweep's run ``step`` half-decades from the default; the default's own point is
    the first ten epochs of its 50-epoch seed-0 run."""
    if step == 0:
        return job("default", name, DEFAULT_LR[name], 0, EPOCHS)
    return job("sweep", name, DEFAULT_LR[name] * 10 ** (step / 2), 0, SWEEP_EPOCHS)


def sweep_state(name: str) -> tuple[dict[float, dict], list[dict]]:
    """The finished sweep runs of ``name`` by learning rate, and the runs still to do.

    Starting from the base grid :data:`SWEEP_STEPS`: once all of a grid's runs are done,
    if the best is at the largest (smallest) rate, the next half-decade above (below) is
    added, at most :data:`MAX_EXTENSION` past the base grid on each side."""
    steps = list(SWEEP_STEPS)
    while True:
        found, todo = {}, []
        for step in steps:
            cfg = sweep_job(name, step)
            run = read_run(cfg)
            if run is None:
                todo.append(cfg)
            else:
                found[cfg["learning_rate"]] = run
        if todo:
            return found, todo
        best = max(found, key=lambda lr: sweep_score(found[lr]))
        if best == max(found) and steps[-1] < SWEEP_STEPS[-1] + MAX_EXTENSION:
            steps.append(steps[-1] + 1)
        elif best == min(found) and steps[0] > SWEEP_STEPS[0] - MAX_EXTENSION:
            steps.insert(0, steps[0] - 1)
        else:
            return found, []


def sweep_runs(name: str) -> dict[float, dict]:
    """Finished sweep runs of ``name`` by learning rate (extensions included)."""
    return sweep_state(name)[0]


def sweep_extension_jobs() -> list[dict]:
    """The sweep runs still to do (base grid or extensions), for every optimizer."""
    return [cfg for name in OPTIMIZERS for cfg in sweep_state(name)[1]]


def sweep_score(run: dict) -> float:
    """Mean validation accuracy over epochs 8-10 (a diverged run scores 0)."""
    values = run["history"]["val_accuracy"][SWEEP_EPOCHS - 3 : SWEEP_EPOCHS]
    values = [v if v is not None and math.isfinite(v) else 0.0 for v in values]
    return sum(values) / len(values)


def diverged_epoch(run: dict) -> int | None:
    """The first epoch whose training loss is not finite (stored as ``None``), or ``None``."""
    losses = run["history"].get("loss", [])
    return next((e + 1 for e, v in enumerate(losses) if v is None), None)


def rejected_rates(name: str) -> dict[float, int]:
    """Sweep winners dropped because their 50-epoch seed-0 run diverged: rate -> epoch."""
    runs, todo = sweep_state(name)
    out = {}
    for lr in sorted(runs, key=lambda lr: -sweep_score(runs[lr])):
        long = read_run(job("tuned", name, lr, 0, EPOCHS))
        epoch = None if long is None else diverged_epoch(long)
        if epoch is None:
            break
        out[lr] = epoch
    return out


def chosen_learning_rate(name: str) -> float | None:
    """The sweep's winner, or ``None`` while the sweep of ``name`` (with the extensions it
    calls for) is incomplete. A winner whose 50-epoch seed-0 run diverged (its training
    loss became NaN: seen on the training data alone) gives way to the next best rate."""
    runs, todo = sweep_state(name)
    if todo:
        return None
    rejected = rejected_rates(name)
    return max((lr for lr in runs if lr not in rejected), key=lambda lr: sweep_score(runs[lr]))


def tuned_jobs(seeds: tuple[int, ...] = TUNED_SEEDS) -> list[dict]:
    jobs = []
    for seed in seeds:
        for name in OPTIMIZERS:
            lr = chosen_learning_rate(name)
            if lr is not None:
                jobs.append(job("tuned", name, lr, seed, EPOCHS))
    return jobs


def lesson09_jobs(preview: bool = False, seeds: tuple[int, ...] | None = None) -> list[dict]:
    """Constant vs cosine with warmup, at each optimizer's sweep winner (see the docstring)."""
    epochs, all_seeds = (PREVIEW_EPOCHS, PREVIEW_SEEDS) if preview else (L09_EPOCHS, L09_SEEDS)
    seeds = all_seeds if seeds is None else seeds
    # the preview keeps the warmup's share of the run (2 of 30 epochs)
    cosine = dict(COSINE, warmup_epochs=round(COSINE["warmup_epochs"] * epochs / L09_EPOCHS, 3))
    jobs = []
    for seed in seeds:
        for name in L09_OPTIMIZERS:
            lr = chosen_learning_rate(name)
            if lr is None:
                raise SystemExit(
                    f"lesson 09 needs lesson 08's sweep of {name}: run "
                    "python scripts/precompute_evidence.py --lessons 8 first"
                )
            for schedule in (None, cosine):
                jobs.append(job("lesson09", name, lr, seed, epochs, lesson=9, schedule=schedule))
    return jobs


def lesson10_jobs(preview: bool = False, seeds: tuple[int, ...] | None = None,
                  costly: bool | None = None) -> list[dict]:  # fmt: skip
    """The runs of :data:`LESSON10`; ``costly`` True / False: only / none of :data:`COSTLY`."""
    epochs, all_seeds = (PREVIEW_EPOCHS, PREVIEW_SEEDS) if preview else (L10_EPOCHS, L10_SEEDS)
    seeds = all_seeds if seeds is None else seeds
    return [job("lesson10", name, DEFAULT_LR[name] if lr is None else lr, seed, epochs,
                lesson=10, options=options)
            for seed in seeds for name, lr, options, _ in LESSON10
            if costly is None or (name in COSTLY) == costly]  # fmt: skip


# --------------------------------------------------------------------------- files
def read_run(cfg: dict) -> dict | None:
    """The finished run of ``cfg``, or ``None`` (missing, unreadable or another config)."""
    path = run_path(cfg)
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = {**CONFIG_DEFAULTS, **run.get("config", {})}
    wanted = {**CONFIG_DEFAULTS, **cfg}
    same.pop("phase", None)
    wanted.pop("phase", None)
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


def steps_per_epoch(n_train: int) -> int:
    """Minibatches per epoch (the last one partial): ceil(n / batch)."""
    return math.ceil(n_train / BATCH_SIZE)


def learning_rate_for(cfg: dict, steps: int):
    """The run's learning rate: a number, or for ``cosine_warmup`` Keras' ``CosineDecay``
    rising linearly from 0 to the peak ``cfg['learning_rate']`` over the warmup steps, then
    ``peak * (alpha + (1 - alpha) * (1 + cos(pi * k / K)) / 2)`` for the k-th of the
    K = total - warmup remaining steps. Keras evaluates it at the step count before the
    update, so the very first update uses rate 0."""
    schedule = cfg.get("schedule")
    if schedule is None:
        return cfg["learning_rate"]
    import keras

    schedule_tag(schedule)  # an unknown kind is an error
    total, warmup = cfg["epochs"] * steps, int(schedule["warmup_epochs"] * steps)
    return keras.optimizers.schedules.CosineDecay(
        0.0, total - warmup, alpha=schedule["alpha"], warmup_target=cfg["learning_rate"],
        warmup_steps=warmup)  # fmt: skip


def _LessonRecorder(opt, split, record: dict):  # noqa: N802 (a class factory)
    """A callback recording, after every epoch, the learning rate the schedule has reached
    and, for ScheduleFreeAdamW, the validation and test loss and accuracy at the average
    x = (y - (1 - beta_1) z) / beta_1 (Keras' model holds y; z is its ``momentum`` slot);
    the weights are put back to y afterwards."""
    import keras

    from lessons_lib.training import _eval_dataset

    val, test = _eval_dataset(split.x_val, split.y_val), _eval_dataset(split.x_test, split.y_test)
    schedule_free = isinstance(opt, keras.optimizers.ScheduleFreeAdamW)

    class Recorder(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            lr = opt.learning_rate
            record.setdefault("learning_rate", []).append(float(keras.ops.convert_to_numpy(lr)))
            if not schedule_free:
                return
            beta = float(opt.beta_1)
            saved = [v.numpy() for v in self.model.trainable_variables]
            for v in self.model.trainable_variables:
                z = opt._momentums[opt._get_variable_index(v)].numpy()
                v.assign((v.numpy() - (1 - beta) * z) / beta)
            for prefix, data in (("x_val", val), ("x_test", test)):
                loss, acc = self.model.evaluate(data, verbose=0)[:2]
                record.setdefault(f"{prefix}_loss", []).append(float(loss))
                record.setdefault(f"{prefix}_accuracy", []).append(float(acc))
            for v, value in zip(self.model.trainable_variables, saved, strict=True):
                v.assign(value)

    return Recorder()


def schedule_free_paper(**kwargs):
    """Keras' ScheduleFreeAdamW with z read before it is updated, so that each step is
    Algorithm 1 of Defazio et al. (2024) (Keras' eps placement and warmup kept)::

        x_old = (y - (1 - beta_1) z) / beta_1          # z before this step's update
        v <- beta_2 v + (1 - beta_2) g^2
        z <- z - eta g / (sqrt(v / (1 - beta_2^t)) + eps)
        x <- (1 - 1/t) x_old + (1/t) z,   y <- (1 - beta_1) z + beta_1 x

    Keras 3.15 on TensorFlow keeps ``momentum_old = momentum.value``, which is the
    variable itself there, and reads it after ``assign_sub``: x_old is then recovered with
    the new z, and from the third step on its y differs from the paper's (checked against a
    NumPy transcription of Algorithm 1 in ``tests/test_training.py``).
    """
    import keras
    from keras import ops

    class ScheduleFreeAdamWPaper(keras.optimizers.ScheduleFreeAdamW):
        def update_step(self, gradient, variable, learning_rate):
            dtype = variable.dtype
            lr, g = ops.cast(learning_rate, dtype), ops.cast(gradient, dtype)
            t = ops.cast(self.iterations + 1, dtype)
            b1, b2 = ops.cast(self.beta_1, dtype), ops.cast(self.beta_2, dtype)
            if self.warmup_steps > 0:
                lr = lr * ops.minimum(t / ops.cast(self.warmup_steps, dtype), 1.0)
            index = self._get_variable_index(variable)
            z, v = self._momentums[index], self._velocities[index]
            x_old = ops.divide(ops.copy(variable) - (1 - b1) * ops.copy(z), b1)
            self.assign_add(v, (ops.square(g) - v) * (1 - b2))
            denom = ops.sqrt(v / (1 - ops.power(b2, t))) + ops.cast(self.epsilon, dtype)
            self.assign_sub(z, lr * g / denom)
            x_new = (1 - 1 / t) * x_old + (1 / t) * ops.copy(z)
            self.assign(variable, (1 - b1) * ops.copy(z) + b1 * x_new)

    return ScheduleFreeAdamWPaper(**kwargs)


def lesson_optimizer(cfg: dict, model, steps: int):
    """Lessons 09-10: the optimizer at Keras' defaults but the rate (or schedule); Muon
    sends the output layer's kernel to its AdamW step (Keras' documentation: the final
    dense layer should not use Muon)."""
    import re

    from lessons_lib.training import keras_optimizer

    extra = dict(cfg.get("options") or {})
    if extra.pop("z_read_first", False):  # the paper's step, see schedule_free_paper
        return schedule_free_paper(learning_rate=learning_rate_for(cfg, steps), **extra)
    if cfg["optimizer"] == "Muon":
        extra["exclude_layers"] = ["^" + re.escape(model.layers[-1].kernel.path) + "$"]
    return keras_optimizer(cfg["optimizer"], learning_rate_for(cfg, steps), **extra)


def train_run(cfg: dict, probe: bool | None = None, log_epochs: bool = True) -> dict:
    """Train one configuration; return the file's content. ``probe`` (default: lesson 08
    only) records the optimizer diagnostics."""
    from lessons_lib.training import OptimizerProbe, build_mlp, keras_optimizer, train

    split = _STATE["split"]
    lesson = cfg.get("lesson", 8)
    probe = lesson == 8 if probe is None else probe
    model = build_mlp(cfg["seed"], l2=cfg["l2"])
    steps = steps_per_epoch(len(split.y_train))
    extra_history: dict = {}
    callbacks = []
    if lesson == 8:
        extra = {} if cfg["weight_decay"] is None else {"weight_decay": cfg["weight_decay"]}
        opt = keras_optimizer(cfg["optimizer"], cfg["learning_rate"], **extra)
        if cfg["weight_decay"] is not None:
            opt.exclude_from_weight_decay(var_names=["bias"])  # L2 acts on kernels only, too
    else:
        opt = lesson_optimizer(cfg, model, steps)
        callbacks.append(_LessonRecorder(opt, split, extra_history))
    if probe:
        callbacks.insert(0, OptimizerProbe(split.x_train[:PROBE_SIZE], split.y_train[:PROBE_SIZE]))
    if log_epochs:
        callbacks.append(_EpochLog(run_name(cfg)))
    start = time.perf_counter()
    cpu, load = time.process_time(), os.getloadavg()[0]
    history = train(opt, split, cfg["epochs"], seed=cfg["seed"], test_every_epoch=True,
                    callbacks=callbacks, model=model)  # fmt: skip
    history.update(extra_history)
    meta = provenance(_STATE["threads"])
    meta["steps_per_epoch"] = steps
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
def run_all(jobs: list[dict], n_jobs: int, threads: int, limit: int | None = None) -> int:
    """Train the unfinished runs of ``jobs`` (at most ``limit``); return how many ran."""
    todo = [cfg for cfg in jobs if read_run(cfg) is None][:limit]
    print(f"{len(jobs) - len(todo)} of {len(jobs)} runs already done; {len(todo)} to go",
          flush=True)  # fmt: skip
    if n_jobs == 1:
        for cfg in todo:
            print(do_job(cfg), flush=True)
        return len(todo)
    with ProcessPoolExecutor(n_jobs, initializer=init_worker, initargs=(threads,)) as pool:
        for line in pool.map(do_job, todo):
            print(line, flush=True)
    return len(todo)


def queue(lessons: list[int], preview: bool) -> list[tuple[str, object]]:
    """The stages in order, each a list of jobs or a function giving it when it starts
    (the sweep's extensions and the tuned runs depend on finished runs)."""
    stages: list[tuple[str, object]] = []
    if 8 in lessons and not preview:
        stages += [("lesson 08", first_jobs()), ("sweep extensions", sweep_extension_jobs)]
    if preview:
        return stages + [("lesson 09", lesson09_jobs(True))] * (9 in lessons) + [
            ("lesson 10", lesson10_jobs(True))] * (10 in lessons)  # fmt: skip
    # by value per hour, so that stopping the job early costs the least: two seeds of
    # every curve, then three of lesson 08's tuned rows, then the remaining seeds
    if 9 in lessons:
        stages.append(("lesson 09, seeds 0-1", lesson09_jobs(seeds=L09_SEEDS[:2])))
    if 10 in lessons:
        stages.append(("lesson 10 but Muon", lesson10_jobs(costly=False)))
        stages.append(("lesson 10 Muon, seed 0", lesson10_jobs(seeds=(0,), costly=True)))
    if 8 in lessons:
        stages.append(("lesson 08 tuned, seeds 0-2", lambda: tuned_jobs(TUNED_SEEDS[:3])))
    if 9 in lessons:
        stages.append(("lesson 09, seed 2+", lesson09_jobs(seeds=L09_SEEDS[2:])))
    if 8 in lessons:
        stages.append(("lesson 08 tuned", tuned_jobs))
    if 10 in lessons:
        stages.append(("lesson 10 Muon, seed 1+", lesson10_jobs(seeds=L10_SEEDS[1:], costly=True)))
    return stages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="runs side by side (processes)")
    parser.add_argument("--lessons", type=int, nargs="+", default=[8, 9, 10],
                        choices=[8, 9, 10], help="whose runs (default: all)")  # fmt: skip
    parser.add_argument(
        "--preview",
        action="store_true",
        help="lessons 09 and 10 only, 2 epochs, seed 0 (a first look)",
    )
    parser.add_argument("--list", action="store_true", help="print the job list and stop")
    parser.add_argument("--limit", type=int, default=None, help="run at most K jobs")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    if not 1 <= args.jobs <= cores:
        parser.error(f"--jobs must be between 1 and the number of cores ({cores})")
    threads = max(1, cores // args.jobs)
    stages = queue(args.lessons, args.preview)
    if args.list:
        for label, jobs in stages:
            jobs = jobs() if callable(jobs) else jobs
            print(f"# {label} (as far as known now)")
            for cfg in jobs:
                done = "done" if read_run(cfg) else "todo"
                print(f"{done}  {cfg['phase']:<9}{run_name(cfg)}")
        return
    start = time.perf_counter()
    import multiprocessing

    multiprocessing.set_start_method("spawn", force=True)
    init_worker(threads if args.jobs == 1 else cores)
    left = args.limit
    for label, jobs in stages:
        while left is None or left > 0:
            todo = jobs() if callable(jobs) else jobs
            print(f"# {label}", flush=True)
            ran = run_all(todo, args.jobs, threads, left)
            left = None if left is None else left - ran
            # the sweep's extensions are found one grid at a time: ask again until none
            if not (callable(jobs) and label == "sweep extensions" and ran):
                break
        if label.startswith("lesson 08 tuned"):
            print(f"tuned learning rates: { {n: chosen_learning_rate(n) for n in OPTIMIZERS} }",
                  flush=True)  # fmt: skip
    print(f"total {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
