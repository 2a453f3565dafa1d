"""lessons_lib.data: finding, verifying and loading Fashion-MNIST, and the sample fallback.

The search locations are module attributes, pointed at temporary folders here, so the tests
do not depend on what this machine has installed. The "real" files are the Debian
package's when present, else small IDX files written here (their checksums are then
patched in), so every test runs everywhere and fast.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from lessons_lib import data

IMAGES = ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte")


def _idx(array: np.ndarray) -> bytes:
    """IDX encoding: 0, 0, type 0x08 (ubyte), ndim, big-endian sizes, then the bytes."""
    header = bytes([0, 0, 8, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def fake_set(tmp_path, monkeypatch) -> dict[str, np.ndarray]:
    """Four small valid gz files in tmp_path/fake, with their checksums registered."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (30, 28, 28)),
        "train-labels-idx1-ubyte": np.arange(30) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (20, 28, 28)),
        "t10k-labels-idx1-ubyte": np.arange(20) % 10,
    }
    folder = tmp_path / "fake"
    folder.mkdir()
    files = {}
    for name, array in arrays.items():
        raw = _idx(array)
        path = folder / f"{name}.gz"
        path.write_bytes(gzip.compress(raw, mtime=0))
        files[name] = (data.sha256_of(path), hashlib.sha256(raw).hexdigest())
    monkeypatch.setattr(data, "FILES", files)
    return {"folder": folder, **arrays}


@pytest.fixture
def nowhere(tmp_path, monkeypatch) -> Path:
    """Every default location points at an empty folder; no env variables, no download."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(data, "DEBIAN_DIR", empty)
    monkeypatch.setattr(data, "REPO_DATA_DIR", empty)
    monkeypatch.setenv("KERAS_HOME", str(empty))
    monkeypatch.delenv(data.ENV_DIR, raising=False)
    monkeypatch.delenv(data.ENV_DOWNLOAD, raising=False)
    return empty


def _same(loaded, arrays) -> None:
    (x, y), (xt, yt) = loaded
    for got, name in [(x, "train-images-idx3-ubyte"), (y, "train-labels-idx1-ubyte"),
                      (xt, "t10k-images-idx3-ubyte"), (yt, "t10k-labels-idx1-ubyte")]:  # fmt: skip
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, arrays[name])


def test_found_in_debian_location(fake_set, nowhere, monkeypatch, capsys):
    monkeypatch.setattr(data, "DEBIAN_DIR", fake_set["folder"])
    loaded = data.load_fashion_mnist()
    _same(loaded, fake_set)
    out = capsys.readouterr().out
    assert "30 training + 20 test images from the Debian package" in out
    assert "NOTICE" not in out


def test_explicit_path_env_variable_and_gunzipped_copy(fake_set, nowhere, monkeypatch, tmp_path):
    _same(data.load_fashion_mnist(fake_set["folder"], verbose=False), fake_set)
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in data.FILES:  # gunzipped by hand: checked against the raw checksums
        packed = (fake_set["folder"] / f"{name}.gz").read_bytes()
        (plain / name).write_bytes(gzip.decompress(packed))
    monkeypatch.setenv(data.ENV_DIR, str(plain))
    _same(data.load_fashion_mnist(verbose=False), fake_set)


def test_order_prefers_repository_over_debian(fake_set, nowhere, monkeypatch, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(fake_set["folder"], other)
    monkeypatch.setattr(data, "REPO_DATA_DIR", fake_set["folder"])
    monkeypatch.setattr(data, "DEBIAN_DIR", other)
    assert data.locate_fashion_mnist().label == "the repository's data/ folder"


def test_keras_cache_is_searched(fake_set, nowhere, monkeypatch, tmp_path):
    cache = tmp_path / "kh" / "datasets" / "fashion-mnist"
    shutil.copytree(fake_set["folder"], cache)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert data.locate_fashion_mnist().directory == cache


def test_missing_falls_back_to_sample_with_notice(nowhere, monkeypatch, capsys):
    monkeypatch.setattr(data, "REPO_DATA_DIR", data.Path(data.__file__).parent.parent / "data")
    (x, y), (xt, yt) = data.load_fashion_mnist()
    out = capsys.readouterr().out
    assert "NOTICE" in out and "sample" in out and "dataset-fashion-mnist" in out
    assert x.shape == (6000, 28, 28) and xt.shape == (1000, 28, 28)
    assert x.dtype == y.dtype == np.uint8
    # stratified: every class equally often
    assert set(np.bincount(y)) == {600} and set(np.bincount(yt)) == {100}


def test_missing_explicit_path_is_an_error(nowhere):
    with pytest.raises(ValueError, match="not found in .*empty"):
        data.load_fashion_mnist(nowhere)


def test_incomplete_folder_names_the_missing_file(fake_set, nowhere, monkeypatch):
    (fake_set["folder"] / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setattr(data, "DEBIAN_DIR", fake_set["folder"])
    with pytest.raises(ValueError, match="missing t10k-labels-idx1-ubyte.gz"):
        data.load_fashion_mnist()


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_corrupted_or_truncated_file_is_a_clear_error(fake_set, nowhere, damage):
    path = fake_set["folder"] / "train-images-idx3-ubyte.gz"
    content = bytearray(path.read_bytes())
    if damage == "truncate":
        content = content[: len(content) // 2]
    else:
        content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))
    with pytest.raises(ValueError) as err:
        data.load_fashion_mnist(fake_set["folder"])
    message = str(err.value)
    assert "train-images-idx3-ubyte.gz" in message and "corrupted or truncated" in message
    assert "Delete it" in message and "--reinstall dataset-fashion-mnist" in message


def test_corrupted_sample_is_a_clear_error(tmp_path, monkeypatch):
    broken = tmp_path / data.SAMPLE_FILE
    sample = (data.Path(data.__file__).parent.parent / "data" / data.SAMPLE_FILE).read_bytes()
    broken.write_bytes(sample[:1000])
    with pytest.raises(ValueError, match="corrupted.*git checkout"):
        data.load_sample(broken)
    with pytest.raises(ValueError, match="cannot be read"):
        data.load_sample(broken, verify=False)
    with pytest.raises(ValueError, match="missing"):
        data.load_sample(tmp_path / "nope.npz")


def test_sample_has_no_pickles_and_matches_its_checksum():
    path = data.Path(data.__file__).parent.parent / "data" / data.SAMPLE_FILE
    assert data.sha256_of(path) == data.SAMPLE_SHA256
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["x_test", "x_train", "y_test", "y_train"]


def test_sha256sums_file_agrees_with_the_module():
    listed = dict(
        reversed(line.split())
        for line in (data.REPO_DATA_DIR / "SHA256SUMS").read_text().splitlines()
    )
    assert listed[data.SAMPLE_FILE] == data.SAMPLE_SHA256
    for name, (gz_sha, _) in data.FILES.items():
        assert listed[f"{name}.gz"] == gz_sha


def test_download_offline_gives_up_fast_and_writes_nothing(nowhere, monkeypatch, capsys):
    monkeypatch.setattr(data, "REPO_DATA_DIR", data.Path(data.__file__).parent.parent / "data")
    monkeypatch.setattr(data, "_online", lambda host, timeout: False)
    source = data.locate_fashion_mnist(download=True)
    assert source.is_sample
    assert "download skipped" in capsys.readouterr().out
    assert list(nowhere.iterdir()) == []


def test_failed_download_leaves_no_partial_file(nowhere, monkeypatch, capsys):
    monkeypatch.setattr(data, "_online", lambda host, timeout: True)
    monkeypatch.setattr(data, "DOWNLOAD_URL", "http://127.0.0.1:9/")  # nothing listens there
    cache = data._keras_cache_dir()
    assert data._download(cache) is False
    assert "download failed" in capsys.readouterr().out
    assert list(cache.iterdir()) == []


def _serve(folder: Path, fail_on: str | None = None):
    """A stand-in for urllib.request.urlopen serving files from ``folder``."""
    import contextlib
    import io

    def urlopen(url, timeout):
        name = url.rsplit("/", 1)[-1]
        if fail_on and name.startswith(fail_on):
            raise OSError(f"connection reset while fetching {name}")
        return contextlib.closing(io.BytesIO((folder / name).read_bytes()))

    return urlopen


def test_download_goes_to_the_keras_cache_after_verification(fake_set, nowhere, monkeypatch):
    monkeypatch.setattr(data, "_online", lambda host, timeout: True)
    monkeypatch.setattr(data.urllib.request, "urlopen", _serve(fake_set["folder"]))
    loaded = data.load_fashion_mnist(download=True, verbose=False)
    _same(loaded, fake_set)
    cache = data._keras_cache_dir()
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{n}.gz" for n in data.FILES)


def test_download_failing_halfway_keeps_nothing(fake_set, nowhere, monkeypatch, capsys):
    monkeypatch.setattr(data, "_online", lambda host, timeout: True)
    monkeypatch.setattr(data.urllib.request, "urlopen", _serve(fake_set["folder"], "t10k"))
    assert data.locate_fashion_mnist(download=True).is_sample
    assert "nothing was saved" in capsys.readouterr().out
    # the files fetched before the failure were not kept: no partial set to trip over later
    assert list(data._keras_cache_dir().iterdir()) == []


@pytest.mark.skipif(not (data.DEBIAN_DIR / "train-images-idx3-ubyte.gz").is_file(),
                    reason="Debian's dataset-fashion-mnist is not installed")  # fmt: skip
def test_real_files_verify_and_match_the_sample():
    (x, y), (xt, yt) = data.load_fashion_mnist(data.DEBIAN_DIR, verbose=False)
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert np.bincount(y).tolist() == [6000] * 10
    (sx, sy), _ = data.load_sample()
    # every sample image is one of the real training images, with its label
    index = {row.tobytes(): label for row, label in zip(x, y, strict=True)}
    assert all(index[img.tobytes()] == label for img, label in zip(sx, sy, strict=True))


def test_validation_split_comes_from_training_images_only():
    from lessons_lib.training import prepare

    (x, y), (xt, yt) = data.load_sample()
    split = prepare(((x, y), (xt, yt)), val_fraction=0.1, seed=3)
    assert len(split.y_val) == 600 and len(split.y_train) == 5400
    np.testing.assert_array_equal(split.x_test, xt.reshape(1000, -1) / np.float32(255))
    # train and validation partition the training images: no image in both, none lost
    rows = {r.tobytes() for r in split.x_train}
    assert not any(r.tobytes() in rows for r in split.x_val)
    assert np.bincount(np.concatenate([split.y_train, split.y_val])).tolist() == [600] * 10
    assert split.x_train.dtype == np.float32
    assert 0 <= split.x_train.min() <= split.x_train.max() <= 1
    again = prepare(((x, y), (xt, yt)), val_fraction=0.1, seed=3)
    np.testing.assert_array_equal(again.y_val, split.y_val)  # seeded
    with pytest.raises(ValueError, match="val_fraction"):
        prepare(((x, y), (xt, yt)), val_fraction=1.0)


# --------------------------------------------------------------------------- lesson evidence
@pytest.mark.parametrize("lesson", [9, 10])
def test_committed_lesson_evidence_loads_with_its_documented_keys(lesson):
    summary = data.load_lesson_evidence(lesson)
    assert summary["meta"]["lesson"] == lesson
    for curve in summary["curves"].values():
        epochs = curve["epochs"]
        assert len(curve["learning_rate_per_epoch"]) == epochs
        for key in ("loss", "accuracy", "val_loss", "val_accuracy", "test_loss",
                    "test_accuracy"):  # fmt: skip
            assert len(curve["curves"][key]["mean"]) == epochs, key
        acc = curve["curves"]["test_accuracy"]["mean"][-1]
        assert acc is None or abs(100 * acc - curve["final"]["test_accuracy"]["mean"]) < 0.01


def test_lesson_evidence_errors_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="lesson must be one of"):
        data.load_lesson_evidence(8)
    with pytest.raises(FileNotFoundError, match="precompute_evidence.py --lessons 9"):
        data.load_lesson_evidence(9, data_dir=tmp_path)
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "lesson10_summary.json").write_text('{"meta": {}}')
    (tmp_path / "SHA256SUMS").write_text(f"{'0' * 64}  evidence/lesson10_summary.json\n")
    with pytest.raises(ValueError, match="differs from its checksum"):
        data.load_lesson_evidence(10, data_dir=tmp_path)
    (tmp_path / "SHA256SUMS").write_text("")  # not listed: read as it is
    assert data.load_lesson_evidence(10, data_dir=tmp_path) == {"meta": {}}
