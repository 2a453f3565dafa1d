"""Fashion-MNIST from disk: find the files, verify their SHA-256, load them (NumPy only).

``load_fashion_mnist()`` returns Keras-style ``((x_train, y_train), (x_test, y_test))``,
uint8 images of shape ``(n, 28, 28)`` and uint8 labels 0-9, exactly what
``keras.datasets.fashion_mnist.load_data()`` returns, but without needing the internet.
It looks, in this order, for the four original IDX files (gzipped, or gunzipped by hand):

1. the ``path`` argument, else the ``FASHION_MNIST_DIR`` environment variable;
2. the repository's ``data/`` folder;
3. Debian/Ubuntu's ``dataset-fashion-mnist`` package, ``/usr/share/datasets/fashion-mnist/``;
4. the Keras cache, ``$KERAS_HOME/datasets/fashion-mnist/`` (default ``~/.keras``);
5. a download into the Keras cache, only when allowed (``download=True`` or
   ``FASHION_MNIST_DOWNLOAD=1``): offline it gives up within seconds;
6. last, the small stratified sample committed in ``data/`` (made by ``data/make_sample.py``),
   with a notice that results then come from the sample.

Every file's SHA-256 is checked against the published value before it is parsed, so a
corrupted or truncated file is a ``ValueError`` that names the file and says how to fix it.
Anything written (a download) goes to a temporary file first and is moved into place with
``os.replace`` only once verified, so nothing half-written is ever left behind.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import socket
import tempfile
import threading
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "CLASS_NAMES",
    "FILES",
    "SAMPLE_FILE",
    "SAMPLE_SHA256",
    "load_fashion_mnist",
    "load_lesson_evidence",
    "load_sample",
    "locate_fashion_mnist",
    "sha256_of",
]

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

# name -> (SHA-256 of the .gz file as published, SHA-256 of its decompressed content).
# The .gz values are Zalando's (and Keras'); the raw values were computed from verified .gz
# files with ``gzip -dc FILE.gz | sha256sum``, so hand-gunzipped copies are checked too.
FILES: dict[str, tuple[str, str]] = {
    "train-images-idx3-ubyte": (
        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    "train-labels-idx1-ubyte": (
        "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    "t10k-images-idx3-ubyte": (
        "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    "t10k-labels-idx1-ubyte": (
        "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
}

SAMPLE_FILE = "fashion_mnist_sample.npz"
SAMPLE_SHA256 = "b60a44ea9da980af50eb20837bed4f6ca1af29d540695e4173252ee78b2f92fc"

ENV_DIR = "FASHION_MNIST_DIR"
ENV_DOWNLOAD = "FASHION_MNIST_DOWNLOAD"
REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DOWNLOAD_TIMEOUT = 5.0  # seconds, for the name lookup and for each network read

HOW_TO_GET = (
    "To use the full data set: on Debian/Ubuntu `sudo apt install dataset-fashion-mnist`; "
    "elsewhere download the four *-ubyte.gz files from "
    "https://github.com/zalandoresearch/fashion-mnist into the repository's data/ folder, "
    "or run with FASHION_MNIST_DOWNLOAD=1 once while online (see data/README.md)."
)


@dataclass(frozen=True)
class Source:
    """Where the data came from: ``label`` is printable (no machine paths)."""

    label: str
    directory: Path | None
    is_sample: bool = False


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _keras_cache_dir() -> Path:
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "fashion-mnist"


def _file_in(directory: Path, name: str) -> Path | None:
    """The .gz file if present, else the gunzipped one, else None."""
    for candidate in (directory / f"{name}.gz", directory / name):
        if candidate.is_file():
            return candidate
    return None


def _complete(directory: Path, label: str) -> bool:
    """True if all four files are in ``directory``; error if only some of them are."""
    found = {name: _file_in(directory, name) for name in FILES}
    missing = [f"{name}.gz" for name, path in found.items() if path is None]
    if len(missing) == len(FILES):
        return False
    if missing:
        raise ValueError(
            f"Fashion-MNIST in {label} is incomplete: missing {', '.join(missing)}. "
            f"Copy the missing files there or remove the others. {HOW_TO_GET}"
        )
    return True


def _candidates(path: str | os.PathLike | None) -> list[Source]:
    if path is not None:
        return [Source(str(path), Path(path))]
    if os.environ.get(ENV_DIR):
        return [Source(f"${ENV_DIR}", Path(os.environ[ENV_DIR]))]
    return [
        Source("the repository's data/ folder", REPO_DATA_DIR),
        Source(f"the Debian package ({DEBIAN_DIR})", DEBIAN_DIR),
        Source("the Keras cache (~/.keras/datasets/fashion-mnist)", _keras_cache_dir()),
    ]


def locate_fashion_mnist(
    path: str | os.PathLike | None = None, *, download: bool | None = None
) -> Source:
    """Find the full data set (see the module docstring for the order), else the sample.

    An explicit ``path`` (or ``$FASHION_MNIST_DIR``) must hold the four files: there is no
    silent fallback from a place you named.
    """
    for source in _candidates(path):
        if source.directory is not None and _complete(source.directory, source.label):
            return source
        if path is not None or os.environ.get(ENV_DIR):
            raise ValueError(
                f"Fashion-MNIST files not found in {source.label}: expected the four "
                f"*-ubyte.gz files ({', '.join(FILES)}). Check the path, or unset {ENV_DIR} "
                f"to search the usual places."
            )
    if download is None:
        download = os.environ.get(ENV_DOWNLOAD, "").strip().lower() in ("1", "true", "yes")
    if download and _download(_keras_cache_dir()):
        return Source("the Keras cache (downloaded)", _keras_cache_dir())
    return Source("the sample in data/", REPO_DATA_DIR, is_sample=True)


# --------------------------------------------------------------------------- reading
def _verified_bytes(path: Path, name: str) -> bytes:
    """The decompressed content of ``path`` after checking its SHA-256."""
    gz_sha, raw_sha = FILES[name]
    compressed = path.suffix == ".gz"
    actual = sha256_of(path)
    if actual != (gz_sha if compressed else raw_sha):
        raise ValueError(
            f"{path.name} in {path.parent} is corrupted or truncated: SHA-256 is {actual}, "
            f"expected {gz_sha if compressed else raw_sha} ({path.stat().st_size:,} bytes). "
            f"Delete it and get it again (on Debian/Ubuntu: "
            f"`sudo apt install --reinstall dataset-fashion-mnist`)."
        )
    if not compressed:
        return path.read_bytes()
    with gzip.open(path, "rb") as fh:
        return fh.read()


def _parse_idx(raw: bytes, name: str) -> np.ndarray:
    """IDX format: magic (0, 0, type 0x08 = ubyte, ndim), ndim big-endian uint32 sizes, data."""
    ndim = raw[3]
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    offset = 4 + 4 * ndim
    if raw[:3] != b"\x00\x00\x08" or len(raw) != offset + int(np.prod(dims)):
        raise ValueError(f"{name}: not a uint8 IDX file of the expected size")
    return np.frombuffer(raw, np.uint8, offset=offset).reshape(dims).copy()


def _load_idx_dir(directory: Path) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    arrays = {}
    for name in FILES:
        path = _file_in(directory, name)
        assert path is not None  # checked by _complete
        arrays[name] = _parse_idx(_verified_bytes(path, name), name)
    return (
        (arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]),
        (arrays["t10k-images-idx3-ubyte"], arrays["t10k-labels-idx1-ubyte"]),
    )


def load_sample(
    path: str | os.PathLike | None = None, *, verify: bool = True
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The committed stratified sample (``data/fashion_mnist_sample.npz``), same layout."""
    path = Path(path) if path is not None else REPO_DATA_DIR / SAMPLE_FILE
    if not path.is_file():
        raise ValueError(
            f"The Fashion-MNIST sample {path.name} is missing from {path.parent}: restore it "
            f"from the repository (`git checkout -- data/{SAMPLE_FILE}`). {HOW_TO_GET}"
        )
    if verify and sha256_of(path) != SAMPLE_SHA256:
        raise ValueError(
            f"{path.name} is corrupted or was regenerated: its SHA-256 differs from "
            f"SAMPLE_SHA256 in lessons_lib/data.py. Restore it with "
            f"`git checkout -- data/{SAMPLE_FILE}`."
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = [npz[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise ValueError(
            f"{path.name} cannot be read ({err}). Restore it with "
            f"`git checkout -- data/{SAMPLE_FILE}`."
        ) from None
    return (arrays[0], arrays[1]), (arrays[2], arrays[3])


def load_fashion_mnist(
    path: str | os.PathLike | None = None,
    *,
    download: bool | None = None,
    sample: bool = False,
    verbose: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8, SHA-256 verified.

    ``sample=True`` skips the search and loads the committed sample. With ``verbose`` one
    line says where the data came from (and a notice if it is the sample).
    """
    source = (
        Source("the sample in data/", REPO_DATA_DIR, is_sample=True)
        if sample
        else locate_fashion_mnist(path, download=download)
    )
    if source.is_sample:
        data = load_sample()
    else:
        assert source.directory is not None
        data = _load_idx_dir(source.directory)
    if verbose:
        (x_train, _), (x_test, _) = data
        print(
            f"Fashion-MNIST: {len(x_train):,} training + {len(x_test):,} test images "
            f"from {source.label}, SHA-256 verified."
        )
        if source.is_sample and not sample:
            print(
                "NOTICE: the full Fashion-MNIST files were not found, so this is the small "
                "stratified sample: every result below comes from the sample and is lower "
                f"and noisier than on the full set. {HOW_TO_GET}"
            )
    return data


# --------------------------------------------------------------------------- evidence
LESSON_EVIDENCE = {9: "evidence/lesson09_summary.json", 10: "evidence/lesson10_summary.json"}


def _listed_sha256(name: str, data_dir: Path) -> str | None:
    """The SHA-256 that ``data/SHA256SUMS`` lists for ``name`` (relative to data/)."""
    sums = data_dir / "SHA256SUMS"
    if not sums.is_file():
        return None
    for line in sums.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == name:
            return parts[0]
    return None


def load_lesson_evidence(lesson: int, data_dir: str | os.PathLike | None = None) -> dict:
    """The precomputed full-data Keras curves of lesson 09 or 10, checksum verified.

    Made by ``scripts/precompute_evidence.py --lessons 9 10`` (the runs) and
    ``scripts/summarize_evidence.py`` (this file). Every run trains lesson 08's MLP
    (784-1024-512-512-512-10, batch 256, 54,000 / 6,000 / 10,000 train / validation /
    test images, split seed 0). Schema (accuracies are fractions in ``curves`` and
    percent in ``final``)::

        {"meta": {"lesson": 9, "preview": bool,   # True: 2 epochs, seed 0, NOT evidence
                  "note": str (preview only), "complete": bool,   # all planned runs done
                  "runs": int, "planned_runs": int, "epochs": int (epochs summed),
                  "wall_seconds": int, "seconds_per_epoch": float, "machines": [str],
                  "versions": [{...}], "commits": [str], "batch_size": 256,
                  "steps_per_epoch": 211, "split": {...}, "made_by": str,
                  "runs_made_by": str, "test_images": 10000, "validation_images": 6000},
         "curves": {LABEL: {
             "optimizer": "AdamW", "learning_rate": float (constant rate, or the peak),
             "keras_default_learning_rate": float, "why": str (why this rate),
             "schedule": None (constant) or {"kind": "cosine_warmup",
                         "warmup_epochs": float, "alpha": 0.0},
             "seeds": [int], "n": int, "epochs": int,
             "evaluated_at": str,
             "learning_rate_per_epoch": [float],   # the rate reached at each epoch's end
             "curves": {KEY: {"mean": [float|None], "sd": [float|None]}},  # per epoch
             "final": {"accuracy" | "val_accuracy" | "test_accuracy":
                           {"mean": %, "sd": % or None, "values": [%]},
                       "binomial_se": % (of the mean test accuracy on 10,000 images)},
             "wall_seconds": [float], "files": [str],
             # ScheduleFreeAdamW only: "at_x" (val/test curves at the average
             # x = (y - (1 - beta_1) z) / beta_1; "curves" are at the model's weights y,
             # which is what Keras' fit and evaluate measure) and "at_x_final_test_accuracy"
         }},
         "files": [str]}   # the run files, relative to data/

    KEY is one of ``loss, accuracy`` (training, averaged over the epoch's minibatches),
    ``val_loss, val_accuracy, test_loss, test_accuracy`` (after the epoch); ``None`` marks
    an epoch where a run diverged; ``sd`` is the sample sd over seeds (``None`` for one).
    LABEL: lesson 09 ``"Momentum, constant"``, ``"Momentum, cosine"``, ``"AdamW, constant"``,
    ``"AdamW, cosine"``; lesson 10 the optimizer's name at Keras' default learning rate
    (``"Lion"``), ``"Lion, lr=0.0001"`` at another, Keras arguments changed after it
    (``"Adafactor, epsilon_1=1e-20"``), and ``"ScheduleFreeAdamW, paper step"`` for the
    paper's Algorithm 1 (Keras 3.15's own step on TensorFlow reads z after updating it).
    """
    if lesson not in LESSON_EVIDENCE:
        raise ValueError(f"lesson must be one of {sorted(LESSON_EVIDENCE)}, got {lesson!r}")
    data_dir = Path(data_dir) if data_dir is not None else REPO_DATA_DIR
    name = LESSON_EVIDENCE[lesson]
    path = data_dir / name
    remake = (
        f"python scripts/precompute_evidence.py --lessons {lesson} (TensorFlow, about an "
        "hour on 2 cores; it resumes), then python scripts/summarize_evidence.py, in the "
        "project folder"
    )
    if not path.is_file():
        raise FileNotFoundError(
            f"The precomputed evidence of lesson {lesson:02d}, data/{name}, is missing. "
            f"Restore it with `git checkout -- data/{name}`, or remake it: {remake}."
        )
    listed = _listed_sha256(name, data_dir)
    if listed is not None and sha256_of(path) != listed:
        raise ValueError(
            f"data/{name} differs from its checksum in data/SHA256SUMS: restore both with "
            f"`git checkout -- data/{name} data/SHA256SUMS`, or remake them: {remake}."
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise ValueError(f"data/{name} cannot be read ({err}); restore or remake it: "
                         f"{remake}.") from None  # fmt: skip


# --------------------------------------------------------------------------- download
def _online(host: str, timeout: float) -> bool:
    """Resolve and connect to ``host:443`` within ``timeout`` s (DNS lookups cannot time out
    by themselves, so the lookup runs in a daemon thread)."""
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def _download(directory: Path) -> bool:
    """Fetch the four .gz files into ``directory``; False (and nothing written) on failure.

    Each file goes to a temporary file in the same folder and is verified; only when all
    four are good are they moved into place with ``os.replace``, so an interrupted or
    failed download never leaves a partial set behind.
    """
    if not _online("storage.googleapis.com", DOWNLOAD_TIMEOUT):
        print("Fashion-MNIST download skipped: storage.googleapis.com is not reachable.")
        return False
    directory.mkdir(parents=True, exist_ok=True)
    done: dict[Path, str] = {}  # target -> verified temporary file
    try:
        for name, (gz_sha, _) in FILES.items():
            target = directory / f"{name}.gz"
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
            done[target] = tmp
            with (
                os.fdopen(fd, "wb") as out,
                urllib.request.urlopen(
                    DOWNLOAD_URL + target.name, timeout=DOWNLOAD_TIMEOUT
                ) as response,
            ):
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
            if sha256_of(tmp) != gz_sha:
                raise OSError(f"{target.name}: the downloaded file has the wrong SHA-256")
        for target, tmp in done.items():
            os.replace(tmp, target)
        return True
    except OSError as err:
        print(f"Fashion-MNIST download failed ({err}); nothing was saved.")
        return False
    finally:
        for tmp in done.values():
            if os.path.exists(tmp):
                os.remove(tmp)
