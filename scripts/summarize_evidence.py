"""Aggregate whatever evidence runs exist into ``data/evidence_summary.json`` for lesson 08
and ``data/evidence/lesson09_summary.json``, ``lesson10_summary.json`` for lessons 09-10.

    python scripts/summarize_evidence.py [--preview]

Reads ``data/evidence/runs/*.json`` (made by ``scripts/precompute_evidence.py``; any
subset, finished runs only) and writes, per optimizer and learning-rate setting
(``default``: Keras' default; ``tuned``: the sweep's choice), the number of seeds and the
mean and sample standard deviation over seeds of the final test and validation accuracy,
the early-stopping table (the epoch of the lowest validation loss and of the highest
validation accuracy, and the test accuracy at that epoch), per-epoch means and standard
deviations of the validation curves, the sweep, the weight-decay runs, the optimizer
diagnostics of the default runs, and the provenance (machines, versions, compute time).

For lessons 09 and 10 (the runs of ``precompute_evidence.py --lessons 9 10``), per curve
(an optimizer at one learning rate and schedule): the mean and sample standard deviation
over seeds of every epoch's training, validation and test loss and accuracy, the final
accuracies in percent with the binomial standard error, and the provenance; the schema is
in the docstring of ``lessons_lib.data.load_lesson_evidence``. ``--preview`` summarises the
2-epoch, one-seed preview runs instead and marks the files so; without it a lesson with no
full run yet keeps its file as it is.

Then it rewrites the evidence lines of ``data/SHA256SUMS`` (the data set's lines stay).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import precompute_evidence as pe  # noqa: E402

SUMMARY_FILE = ROOT / "data" / "evidence_summary.json"
LESSON_FILES = {9: "evidence/lesson09_summary.json", 10: "evidence/lesson10_summary.json"}
CURVE_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")
SUMS_FILE = ROOT / "data" / "SHA256SUMS"
TEST_IMAGES = 10_000
#: seed 002's test accuracies (%), one unseeded 50-epoch run each, validated on the test set
BLOG = {"SGD": 87.42, "Adagrad": 85.28, "RMSprop": 88.39, "Adam": 89.04}


def mean_sd(values: list[float]) -> dict:
    """Mean and sample standard deviation (n - 1; ``None`` for one value), in the values' unit."""
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return {"mean": round(mean, 4), "sd": None if sd is None else round(sd, 4),
            "values": [round(v, 4) for v in values]}  # fmt: skip


def binomial_se(accuracy: float, n: int = TEST_IMAGES) -> float:
    """Standard error of an accuracy measured on n independent images: sqrt(p (1 - p) / n)."""
    return math.sqrt(accuracy * (1 - accuracy) / n)


def finite(values: list) -> list[float]:
    return [v if v is not None else math.nan for v in values]


def argbest(values: list, lowest: bool) -> int:
    vals = [v if v is not None and math.isfinite(v) else (math.inf if lowest else -math.inf)
            for v in values]  # fmt: skip
    return vals.index(min(vals) if lowest else max(vals))


def per_epoch(runs: list[dict], key: str) -> dict:
    """Mean and sd over runs for every epoch of ``history[key]``."""
    rows = list(zip(*(finite(r["history"][key]) for r in runs), strict=True))
    out = [mean_sd(list(row)) for row in rows]
    return {"mean": [o["mean"] for o in out], "sd": [o["sd"] for o in out]}


def cell(runs: list[dict]) -> dict:
    """One optimizer at one learning rate over its seeds (percent for accuracies)."""
    runs = sorted(runs, key=lambda r: r["config"]["seed"])
    pct = [100 * (r["history"]["test_accuracy"][-1] or 0.0) for r in runs]
    val = [100 * (r["history"]["val_accuracy"][-1] or 0.0) for r in runs]
    by_loss = [argbest(r["history"]["val_loss"], lowest=True) for r in runs]
    by_acc = [argbest(r["history"]["val_accuracy"], lowest=False) for r in runs]
    test = [r["history"]["test_accuracy"] for r in runs]

    def test_at(epochs: list[int]) -> dict:
        return mean_sd([100 * (t[e] or 0.0) for t, e in zip(test, epochs, strict=True)])

    final = mean_sd(pct)
    return {
        "learning_rate": runs[0]["config"]["learning_rate"],
        "n": len(runs),
        "seeds": [r["config"]["seed"] for r in runs],
        "test_accuracy": final,
        "binomial_se": round(100 * binomial_se(final["mean"] / 100), 3),
        "val_accuracy": mean_sd(val),
        "train_accuracy": mean_sd([100 * (r["history"]["accuracy"][-1] or 0) for r in runs]),
        "early_stopping": {
            "by_val_loss": {"epochs": [e + 1 for e in by_loss], "test_accuracy": test_at(by_loss)},
            "by_val_accuracy": {
                "epochs": [e + 1 for e in by_acc],
                "test_accuracy": test_at(by_acc),
            },
        },
        "curves": {k: per_epoch(runs, k) for k in ("val_accuracy", "val_loss", "loss")},
    }


def load_runs() -> list[dict]:
    runs = []
    for path in sorted(pe.RUNS_DIR.glob("*.json")):
        run = json.loads(path.read_text(encoding="utf-8"))
        if run["config"].get("lesson", 8) != 8:
            continue
        if pe.read_run(run["config"]) is not None:  # finished, and its name fits its config
            run["file"] = path.relative_to(ROOT / "data").as_posix()
            runs.append(run)
    return runs


def is_default(run: dict) -> bool:
    return math.isclose(run["config"]["learning_rate"], pe.DEFAULT_LR[run["config"]["optimizer"]])


def settings(runs: list[dict]) -> dict:
    out: dict[str, dict] = {"default": {}, "tuned": {}}
    plain = [r for r in runs if r["config"]["epochs"] == pe.EPOCHS and not r["config"]["l2"]
             and r["config"]["weight_decay"] is None]  # fmt: skip
    for name in pe.OPTIMIZERS:
        mine = [r for r in plain if r["config"]["optimizer"] == name]
        default = [r for r in mine if is_default(r)]
        if default:
            out["default"][name] = cell(default)
        chosen = pe.chosen_learning_rate(name)
        tuned = [r for r in mine if chosen is not None
                 and math.isclose(r["config"]["learning_rate"], chosen)]  # fmt: skip
        if tuned:
            out["tuned"][name] = cell(tuned)
    return out


def sweep() -> dict:
    out = {}
    for name in pe.OPTIMIZERS:
        runs = pe.sweep_runs(name)
        rates = sorted(runs)
        chosen = pe.chosen_learning_rate(name)
        out[name] = {
            "default": pe.DEFAULT_LR[name],
            "learning_rates": rates,
            "score": [round(100 * pe.sweep_score(runs[lr]), 2) for lr in rates],
            "complete": chosen is not None,
            "chosen": chosen,
            "at_edge": chosen is not None and chosen in (rates[0], rates[-1]),
            # winners whose 50-epoch seed-0 run diverged: rate -> epoch of the first NaN loss
            "rejected": {f"{lr:g}": e for lr, e in pe.rejected_rates(name).items()},
            # rates the sweep added past an edge winner (precompute_evidence.sweep_state)
            "extensions": [
                lr
                for lr in rates
                if not any(
                    math.isclose(lr, pe.DEFAULT_LR[name] * f, rel_tol=1e-5)
                    for f in (*pe.SWEEP_FACTORS, 1.0)
                )
            ],
        }
    return out


def decay(runs: list[dict]) -> dict:
    """Adam + L2 and AdamW at matched lambda (and plain Adam, seed 0) by validation curves;
    plain Adam comes from ``full_run_histories.json`` until its seed 0 is re-run here."""
    out = {}
    for r in runs:
        c = r["config"]
        if c["seed"] != 0 or c["epochs"] != pe.EPOCHS or c["optimizer"] not in ("Adam", "AdamW"):
            continue
        if c["l2"]:
            label, lam = "Adam + L2", 2 * c["l2"]
        elif c["weight_decay"] is not None:
            label, lam = "AdamW", c["weight_decay"]
        elif c["optimizer"] == "Adam" and math.isclose(c["learning_rate"], pe.DEFAULT_LR["Adam"]):
            label, lam = "Adam", 0.0
        else:
            continue
        h = r["history"]
        out[f"{label}, lambda={lam:g}"] = {
            "method": label, "lambda": lam,
            "val_ce": h.get("val_ce", h["val_loss"]), "val_accuracy": h["val_accuracy"],
            "train_accuracy": h["accuracy"],
            "test_accuracy": round(100 * (h["test_accuracy"][-1] or 0), 2),
        }  # fmt: skip
    if out and "Adam, lambda=0" not in out:  # until seed 0 is re-run: the stored seed-0 run
        h = json.loads(pe.FULL_RUN_FILE.read_text(encoding="utf-8"))["histories"]["Adam"]
        out["Adam, lambda=0"] = {
            "method": "Adam", "lambda": 0.0, "source": "data/full_run_histories.json",
            "val_ce": h["val_loss"], "val_accuracy": h["val_accuracy"],
            "train_accuracy": h["accuracy"],
            "test_accuracy": round(100 * h["test_accuracy"][-1], 2),
        }  # fmt: skip
    return dict(sorted(out.items(), key=lambda kv: (kv[1]["lambda"], kv[1]["method"])))


def diagnostics(runs: list[dict]) -> dict:
    """Per optimizer at its default learning rate: per-epoch, per-layer medians over the
    runs that recorded them (update ratio; step-size and sum-g^2 medians)."""
    out = {}
    for name in pe.OPTIMIZERS:
        mine = [r for r in runs if r["config"]["optimizer"] == name and r.get("diagnostics")
                and r["config"]["epochs"] == pe.EPOCHS and not r["config"]["l2"]
                and r["config"]["weight_decay"] is None
                and math.isclose(r["config"]["learning_rate"], pe.DEFAULT_LR[name])]  # fmt: skip
        if not mine:
            continue
        d = mine[0]["diagnostics"]
        entry = {"seeds": [r["config"]["seed"] for r in mine], "layers": d["layers"],
                 "update_ratio": d["update_ratio"], "epoch_ratio": d["epoch_ratio"]}  # fmt: skip
        if any(s is not None for s in d["step_size"][0]):
            entry["step_size"] = d["step_size"]
        if d["sum_g2"] and d["sum_g2"][0]:
            entry["sum_g2"] = d["sum_g2"]
        out[name] = entry
    return out


def stored_seed0(runs: list[dict]) -> dict:
    """How far this script's seed-0 default runs are from ``full_run_histories.json``'s
    (same seed and code, another run): the largest validation-accuracy difference over
    the first 5 epochs and over all 50, in points."""
    full = json.loads(pe.FULL_RUN_FILE.read_text(encoding="utf-8"))["histories"]
    out = {}
    for r in runs:
        c = r["config"]
        if c["seed"] == 0 and c["epochs"] == pe.EPOCHS and c["optimizer"] in full and not c["l2"] \
                and c["weight_decay"] is None \
                and math.isclose(c["learning_rate"], pe.DEFAULT_LR[c["optimizer"]]):  # fmt: skip
            a, b = r["history"]["val_accuracy"], full[c["optimizer"]]["val_accuracy"]
            diffs = [100 * abs(x - y) for x, y in zip(a, b, strict=True)]
            out[c["optimizer"]] = {"first_5": round(max(diffs[:5]), 2), "all": round(max(diffs), 2)}
    return out


def provenance(runs: list[dict]) -> dict:
    machines = sorted({f"{r['provenance']['machine']['cpu']}, {r['provenance']['machine']['cores']}"
                       f" cores" for r in runs})  # fmt: skip
    versions = sorted({json.dumps(r["provenance"]["versions"], sort_keys=True) for r in runs})
    epochs = sum(r["config"]["epochs"] for r in runs)
    wall = sum(r["provenance"]["wall_seconds"] for r in runs)
    return {
        "made_by": "python scripts/summarize_evidence.py",
        "runs": len(runs),
        "epochs": epochs,
        "wall_seconds": round(wall),
        "seconds_per_epoch": round(wall / epochs, 2) if epochs else None,
        "machines": machines,
        "versions": [json.loads(v) for v in versions],
        "commits": sorted({r["provenance"]["git_commit"] for r in runs}),
        "test_images": TEST_IMAGES,
        "validation_images": 6000,
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- lessons 09, 10
def epoch_stats(rows: list[list]) -> dict:
    """Per epoch, mean and sample sd over runs (``None`` where a run has diverged, and sd
    ``None`` with one run)."""
    mean, sd = [], []
    for row in zip(*rows, strict=True):
        if any(v is None or not math.isfinite(v) for v in row):
            mean.append(None)
            sd.append(None)
            continue
        mean.append(float(f"{sum(row) / len(row):.6g}"))
        sd.append(float(f"{statistics_sd(row):.4g}") if len(row) > 1 else None)
    return {"mean": mean, "sd": sd}


def statistics_sd(values) -> float:
    n, mean = len(values), sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))


def curve_label(cfg: dict) -> str:
    """``"Momentum, constant"`` / ``"AdamW, cosine"`` (lesson 09); ``"Lion"`` at Keras'
    default rate, ``"Lion, lr=0.0001"`` otherwise (lesson 10)."""
    if cfg["lesson"] == 9:
        return f"{cfg['optimizer']}, {'constant' if cfg['schedule'] is None else 'cosine'}"
    if (cfg["options"] or {}).get("z_read_first"):
        return f"{cfg['optimizer']}, paper step"
    parts = [cfg["optimizer"]]
    if not math.isclose(cfg["learning_rate"], pe.DEFAULT_LR[cfg["optimizer"]]):
        parts.append(f"lr={cfg['learning_rate']:g}")
    parts += [f"{k}={v:g}" for k, v in sorted((cfg["options"] or {}).items())]
    return ", ".join(parts)


def final_pct(runs: list[dict], key: str) -> dict:
    values = [r["history"][key][-1] for r in runs]
    if any(v is None for v in values):
        return {"mean": None, "sd": None, "values": values}
    return mean_sd([100 * v for v in values])


def lesson_curve(cfg: dict, runs: list[dict], why: str) -> dict:
    """One optimizer at one rate and schedule over its seeds."""
    runs = sorted(runs, key=lambda r: r["config"]["seed"])
    schedule_free = cfg["optimizer"] == "ScheduleFreeAdamW"
    as_read = [{k: r["history"][k] for k in CURVE_KEYS} for r in runs]
    entry = {
        "optimizer": cfg["optimizer"],
        "learning_rate": cfg["learning_rate"],
        "keras_default_learning_rate": pe.DEFAULT_LR[cfg["optimizer"]],
        "schedule": cfg["schedule"],
        "options": cfg["options"],
        "why": why,
        "seeds": [r["config"]["seed"] for r in runs],
        "n": len(runs),
        "epochs": cfg["epochs"],
        "evaluated_at": "the model's weights (for ScheduleFreeAdamW y, as Keras' fit and "
        "evaluate do; its average x in at_x)"
        if schedule_free
        else "the model's weights",
        "learning_rate_per_epoch": runs[0]["history"]["learning_rate"],
        "curves": {k: epoch_stats([h[k] for h in as_read]) for k in CURVE_KEYS},
        "final": {},
        "wall_seconds": [r["provenance"]["wall_seconds"] for r in runs],
        "files": [r["file"] for r in runs],
    }
    for key in ("accuracy", "val_accuracy", "test_accuracy"):
        entry["final"][key] = final_pct([{"history": h} for h in as_read], key)
    test = entry["final"]["test_accuracy"]["mean"]
    entry["final"]["binomial_se"] = (
        None if test is None else round(100 * binomial_se(test / 100), 3)
    )
    if schedule_free:
        entry["at_x"] = {k: epoch_stats([r["history"][f"x_{k}"] for r in runs])
                         for k in CURVE_KEYS if k.startswith(("val", "test"))}  # fmt: skip
        entry["at_x_final_test_accuracy"] = final_pct(runs, "x_test_accuracy")
    return entry


def lesson_summary(lesson: int, preview: bool = False) -> dict | None:
    """The summary of lesson 09 or 10 from its finished runs (``None`` if there are none)."""
    jobs = pe.lesson09_jobs(preview) if lesson == 9 else pe.lesson10_jobs(preview)
    why = {}
    if lesson == 9:
        for name in pe.L09_OPTIMIZERS:
            why[name] = (f"lesson 08's sweep winner for {name} (validation accuracy, epochs "
                         "8-10, constant rate); the cosine's peak is the same rate")  # fmt: skip
    groups: dict[str, tuple[dict, list, str]] = {}
    for cfg in jobs:
        label = curve_label(cfg)
        if lesson == 10:
            reason = next(w for n, lr, o, w in pe.LESSON10 if n == cfg["optimizer"]
                and o == cfg["options"] and (
                (lr is None and math.isclose(cfg["learning_rate"], pe.DEFAULT_LR[n]))
                or (lr is not None and math.isclose(cfg["learning_rate"], lr))))  # fmt: skip
        else:
            reason = why[cfg["optimizer"]]
        group = groups.setdefault(label, (cfg, [], reason))
        run = pe.read_run(cfg)
        if run is not None:
            run["file"] = pe.run_path(cfg).relative_to(ROOT / "data").as_posix()
            group[1].append(run)
    found = [r for _, runs, _ in groups.values() for r in runs]
    if not found:
        return None
    meta = provenance(found)
    meta.update(
        lesson=lesson,
        preview=preview,
        complete=len(found) == len(jobs),
        planned_runs=len(jobs),
        batch_size=pe.BATCH_SIZE,
        steps_per_epoch=found[0]["provenance"]["steps_per_epoch"],
        split={
            "seed": pe.SPLIT_SEED,
            "val_fraction": pe.VAL_FRACTION,
            "train_images": 54_000,
        },  # fmt: skip
        made_by="python scripts/summarize_evidence.py" + (" --preview" if preview else ""),
        runs_made_by="python scripts/precompute_evidence.py"
        + (" --preview" if preview else f" --lessons {lesson}"),
    )
    if preview:
        meta["note"] = (f"PREVIEW: {pe.PREVIEW_EPOCHS} epochs, seed 0 only, for building "
                        "figures; not evidence. The full runs replace it.")  # fmt: skip
    return {
        "meta": meta,
        "curves": {
            label: lesson_curve(cfg, runs, reason)
            for label, (cfg, runs, reason) in groups.items()
            if runs
        },  # fmt: skip
        "files": [r["file"] for r in found],
    }


def update_sums(files: list[Path]) -> None:
    """Keep the data set's lines of SHA256SUMS; rewrite the evidence ones."""
    keep = [line for line in SUMS_FILE.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.split()[-1].startswith("evidence")]  # fmt: skip
    lines = keep + [f"{sha256(p)}  {p.relative_to(ROOT / 'data').as_posix()}" for p in files]
    SUMS_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")


def summarize() -> dict:
    runs = load_runs()
    return {
        "meta": provenance(runs),
        "blog": BLOG,
        "settings": settings(runs),
        "sweep": sweep(),
        "decay": decay(runs),
        "diagnostics": diagnostics(runs),
        "stored_seed0_difference": stored_seed0(runs),
        "files": [r["file"] for r in runs],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preview", action="store_true",
                        help="lessons 09-10 from the 2-epoch preview runs")  # fmt: skip
    parser.add_argument("--lessons", type=int, nargs="+", default=[8, 9, 10],
                        choices=[8, 9, 10],
                        help="which summaries to remake (the others are kept)")  # fmt: skip
    args = parser.parse_args(argv)
    if 8 in args.lessons:
        summary = summarize()
        pe.write_json(SUMMARY_FILE, summary)
    else:
        summary = json.loads(SUMMARY_FILE.read_text(encoding="utf-8"))
    files = [ROOT / "data" / f for f in summary["files"]] + [SUMMARY_FILE]
    for lesson, name in LESSON_FILES.items():
        path = ROOT / "data" / name
        made = lesson_summary(lesson, preview=args.preview) if lesson in args.lessons else None
        if made is not None:
            pe.write_json(path, made)
            m = made["meta"]
            print(f"lesson {lesson}: {m['runs']} of {m['planned_runs']} runs"
                  f"{' (PREVIEW)' if args.preview else ''} -> {name}")  # fmt: skip
        elif path.exists():
            print(f"lesson {lesson}: {name} kept as it is")
        if path.exists():
            kept = json.loads(path.read_text(encoding="utf-8"))
            files += [ROOT / "data" / f for f in kept["files"]] + [path]
    update_sums(files)
    if 8 not in args.lessons:
        return
    meta = summary["meta"]
    print(f"{meta['runs']} runs, {meta['epochs']} epochs, {meta['wall_seconds'] / 3600:.2f} h -> "
          f"{SUMMARY_FILE.relative_to(ROOT)}; {len(files)} checksums in SHA256SUMS")  # fmt: skip
    for setting, cells in summary["settings"].items():
        for name, c in cells.items():
            t = c["test_accuracy"]
            sd = "   -" if t["sd"] is None else f"{t['sd']:.2f}"
            print(
                f"{setting:<8}{name:<9} lr {c['learning_rate']:<9g} n={c['n']}  "
                f"test {t['mean']:.2f} +/- {sd}  (binomial SE {c['binomial_se']:.2f})"
            )


if __name__ == "__main__":
    main()
