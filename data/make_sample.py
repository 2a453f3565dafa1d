"""Make data/fashion_mnist_sample.npz: a small stratified sample of Fashion-MNIST.

    python data/make_sample.py [--source DIR]

Takes 600 training and 100 test images of each of the 10 classes (seeded, so the same
images every time), from the full, SHA-256-verified files found by
``lessons_lib.data.load_fashion_mnist`` (or ``--source``). The .npz is written with fixed
timestamps so the same inputs give the same bytes, first to a temporary file, then moved
into place with ``os.replace``. Afterwards update SAMPLE_SHA256 in lessons_lib/data.py
and data/SHA256SUMS with the printed checksum.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lessons_lib.data import SAMPLE_FILE, load_fashion_mnist, sha256_of  # noqa: E402

TRAIN_PER_CLASS = 600
TEST_PER_CLASS = 100
SEED = 20240508


def stratified(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``per_class`` random examples of each class, in their original order."""
    picks = [
        rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
        for c in range(10)
    ]
    return np.sort(np.concatenate(picks))


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Deterministic, compressed .npz (fixed member timestamps), written atomically."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for key, arr in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.ascontiguousarray(arr), allow_pickle=False)
                info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, buffer.getvalue(), compresslevel=9)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="folder holding the four original *-ubyte.gz files")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / SAMPLE_FILE))
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(args.source, download=False)
    if len(x_train) != 60_000:
        sys.exit("make_sample.py needs the full data set, not the sample itself")
    rng = np.random.default_rng(SEED)
    train = stratified(y_train, TRAIN_PER_CLASS, rng)
    test = stratified(y_test, TEST_PER_CLASS, rng)
    out = Path(args.out)
    write_npz(
        out,
        {"x_train": x_train[train], "y_train": y_train[train],
         "x_test": x_test[test], "y_test": y_test[test]},
    )  # fmt: skip
    print(f"wrote {out.name}: {len(train)} training + {len(test)} test images, "
          f"{out.stat().st_size / 1e6:.2f} MB")
    print(f"SHA-256 {sha256_of(out)}")


if __name__ == "__main__":
    main()
