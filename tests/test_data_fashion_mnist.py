"""Fashion-MNIST from the system folder a Debian package fills, checked by content MD5."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autocnn.data import DatasetError, DatasetNotFoundError, load_dataset
from autocnn.data import mnist as mnist_module
from tests.test_data_mnist import _write_tiny_mnist

SYSTEM = Path("/usr/share/datasets/fashion-mnist")


def _fake_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int = 0) -> Path:
    folder = tmp_path / "system"
    _write_tiny_mnist(folder, gz=True, seed=seed)
    monkeypatch.setitem(mnist_module.SYSTEM_DIRS, "fashion-mnist", folder)
    sums = {stem: mnist_module.content_md5(folder / (stem + ".gz")) for stem in mnist_module.FILES}
    monkeypatch.setitem(mnist_module.CONTENT_MD5, "fashion-mnist", sums)
    monkeypatch.setenv("AUTOCNN_DATA", str(tmp_path / "cache"))
    return folder


def test_the_system_folder_is_used_after_an_empty_cache(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_system(tmp_path, monkeypatch)
    train, test = load_dataset("fashion-mnist")
    assert len(train) == 12 and len(test) == 5 and train.classes[9] == "Ankle boot"


def test_the_cache_folder_and_data_dir_come_before_the_system_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_system(tmp_path, monkeypatch)
    _write_tiny_mnist(tmp_path / "cache" / "fashion-mnist", n_train=7)
    assert len(load_dataset("fashion-mnist").train) == 7
    _write_tiny_mnist(tmp_path / "mine", n_train=9)
    assert len(load_dataset("fashion-mnist", root=tmp_path / "mine").train) == 9


def test_a_system_file_with_other_contents_is_refused(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _fake_system(tmp_path, monkeypatch)
    _write_tiny_mnist(folder, gz=True, seed=1)  # same names, other bytes
    with pytest.raises(DatasetError, match="does not hold the expected data: the MD5 of its "
                                           "contents is"):
        load_dataset("fashion-mnist")


def test_nothing_anywhere_names_the_system_folder_and_the_package(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(mnist_module.SYSTEM_DIRS, "fashion-mnist", tmp_path / "nowhere")
    monkeypatch.setenv("AUTOCNN_DATA", str(tmp_path / "cache"))
    with pytest.raises(DatasetNotFoundError, match="dataset-fashion-mnist` package"):
        load_dataset("fashion-mnist")


@pytest.mark.skipif(not (SYSTEM / "t10k-labels-idx1-ubyte.gz").is_file(),
                    reason="the dataset-fashion-mnist package is not installed")
def test_the_real_fashion_mnist_files_pass_their_checksums(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOCNN_DATA", str(tmp_path))  # an empty cache: use the system folder
    train, test = load_dataset("fashion-mnist")
    assert train.images.shape == (60000, 1, 28, 28) and test.images.shape == (10000, 1, 28, 28)
    assert np.bincount(test.labels).tolist() == [1000] * 10
    assert train.images.min() >= 0.0 and train.images.max() <= 1.0
