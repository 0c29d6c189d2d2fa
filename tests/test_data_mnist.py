"""MNIST from local IDX files, and the opt-in download with its checksum check (offline)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from autocnn.data import (
    DatasetError,
    DatasetNotFoundError,
    download_mnist,
    load_dataset,
    load_mnist,
    write_idx,
)
from autocnn.data.mnist import FILES, SOURCES, md5sum


def _write_tiny_mnist(folder: Path, n_train: int = 12, n_test: int = 5, gz: bool = False,
                      seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = {
        FILES[0]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        FILES[1]: rng.integers(0, 10, n_train).astype(np.uint8),
        FILES[2]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        FILES[3]: rng.integers(0, 10, n_test).astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for stem, array in arrays.items():
        write_idx(folder / (stem + (".gz" if gz else "")), array)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_a_local_folder_loads_scaled_to_the_unit_interval(tmp_path: Path, gz: bool) -> None:
    arrays = _write_tiny_mnist(tmp_path, gz=gz)
    train, test = load_mnist(tmp_path)
    assert train.images.shape == (12, 1, 28, 28) and test.images.shape == (5, 1, 28, 28)
    np.testing.assert_allclose(train.images[:, 0] * 255, arrays[FILES[0]], atol=1e-4)
    np.testing.assert_array_equal(test.labels, arrays[FILES[3]])
    assert train.labels.dtype == np.int64


def test_fashion_mnist_gets_its_class_names(tmp_path: Path) -> None:
    _write_tiny_mnist(tmp_path)
    train, _ = load_dataset("fashion-mnist", root=tmp_path)
    assert train.classes[0] == "T-shirt/top" and train.classes[9] == "Ankle boot"


def test_a_missing_folder_says_how_to_download(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(tmp_path / "nowhere")
    assert "does not exist" in str(info.value) and "--download" in str(info.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    _write_tiny_mnist(tmp_path)
    (tmp_path / FILES[3]).unlink()
    with pytest.raises(DatasetNotFoundError, match=FILES[3]):
        load_mnist(tmp_path)


def test_labels_that_do_not_match_the_images_are_refused(tmp_path: Path) -> None:
    _write_tiny_mnist(tmp_path)
    write_idx(tmp_path / FILES[1], np.zeros(3, dtype=np.uint8))
    with pytest.raises(DatasetError, match=r"train labels .* shape \[12\]"):
        load_mnist(tmp_path)


def test_images_of_the_wrong_kind_are_refused(tmp_path: Path) -> None:
    _write_tiny_mnist(tmp_path)
    write_idx(tmp_path / FILES[2], np.zeros((5, 28, 28), dtype=np.float32))
    with pytest.raises(DatasetError, match="uint8"):
        load_mnist(tmp_path)


def test_unknown_kind_lists_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="fashion-mnist"):
        load_mnist(tmp_path, kind="kmnist")


# ------------------------------------------------------------------ download, offline
@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A local folder served as a file:// mirror, with MNIST's checksums set to its files."""
    served = tmp_path / "mirror"
    _write_tiny_mnist(served, gz=True)
    for stem in FILES:
        monkeypatch.setitem(SOURCES["mnist"].md5, stem + ".gz", md5sum(served / (stem + ".gz")))
    return served


def test_md5sum_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"autocnn")
    import hashlib

    assert md5sum(path) == hashlib.md5(b"autocnn").hexdigest()


def test_download_fetches_checks_and_loads(mirror: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    folder = download_mnist("mnist", cache, mirrors=(mirror.as_uri(),))
    assert sorted(p.name for p in folder.iterdir()) == sorted(s + ".gz" for s in FILES)
    train, _ = load_mnist(folder)
    assert len(train) == 12


def test_download_happens_once(mirror: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    download_mnist("mnist", cache, mirrors=(mirror.as_uri(),))
    stamp = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    # a second call with an unreachable mirror succeeds: nothing needs fetching
    download_mnist("mnist", cache, mirrors=((tmp_path / "gone").as_uri(),))
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == stamp


def test_a_wrong_checksum_is_refused_and_leaves_nothing(mirror: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SOURCES["mnist"].md5, FILES[0] + ".gz", "0" * 32)
    cache = tmp_path / "cache"
    with pytest.raises(DatasetError, match="checksum mismatch"):
        download_mnist("mnist", cache, mirrors=(mirror.as_uri(),))
    assert not (cache / (FILES[0] + ".gz")).exists()
    assert not list(cache.glob("*.part"))


def test_an_unreachable_mirror_is_reported(mirror: Path, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="could not download"):
        download_mnist("mnist", tmp_path / "cache", mirrors=((tmp_path / "gone").as_uri(),))


def test_load_without_download_never_fetches(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("load_mnist opened a URL without download=True")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setenv("AUTOCNN_DATA", str(tmp_path))
    with pytest.raises(DatasetNotFoundError):
        load_mnist()


def test_gzip_of_the_hand_written_file_matches_plain(tmp_path: Path) -> None:
    arrays = _write_tiny_mnist(tmp_path / "plain")
    (tmp_path / "gz").mkdir()
    for stem in FILES:
        data = (tmp_path / "plain" / stem).read_bytes()
        (tmp_path / "gz" / (stem + ".gz")).write_bytes(gzip.compress(data))
    train, _ = load_mnist(tmp_path / "gz")
    np.testing.assert_array_equal(train.labels, arrays[FILES[1]])


# ------------------------------------------------------- messages name the dataset loaded
def _fashion_error(tmp_path: Path, spoil: str) -> str:
    """The message of loading Fashion-MNIST from a folder spoiled in one way."""
    folder = tmp_path / "fashion"
    if spoil != "no folder":
        _write_tiny_mnist(folder)
    if spoil == "missing file":
        (folder / FILES[3]).unlink()
    elif spoil == "bad labels":
        write_idx(folder / FILES[1], np.full(12, 10, dtype=np.uint8))
    elif spoil == "bad images":
        write_idx(folder / FILES[0], np.zeros((12, 28, 28), dtype=np.float32))
    with pytest.raises(DatasetError) as info:
        load_mnist(folder, kind="fashion-mnist")
    return str(info.value)


@pytest.mark.parametrize("spoil", ["no folder", "missing file", "bad labels", "bad images"])
def test_fashion_mnist_errors_name_fashion_mnist(tmp_path: Path, spoil: str) -> None:
    message = _fashion_error(tmp_path, spoil)
    assert message.startswith("fashion-mnist: "), message


def test_fashion_mnist_download_errors_name_fashion_mnist(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as info:
        download_mnist("fashion-mnist", tmp_path / "cache",
                       mirrors=((tmp_path / "gone").as_uri(),))
    assert str(info.value).startswith("fashion-mnist: could not download"), str(info.value)
