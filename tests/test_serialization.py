"""Model files: ac.save / ac.load round trips, order, no pickle, clear errors."""

from __future__ import annotations

import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import autocnn as ac
from autocnn import nn
from autocnn.models import build_model


def test_save_load_round_trip_restores_a_model_exactly(tmp_path):
    model = build_model("seed", image_size=8)
    model(ac.randn(4, 1, 8, 8))  # non-trivial running statistics
    path = tmp_path / "model.npz"
    ac.save(model.state_dict(), path)
    fresh = build_model("seed", image_size=8)
    fresh.load_state_dict(ac.load(path))
    for (k, a), (k2, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(a, b, err_msg=k)
        assert a.dtype == b.dtype
    x = ac.randn(2, 1, 8, 8)
    model.eval()
    fresh.eval()
    np.testing.assert_array_equal(model(x).numpy(), fresh(x).numpy())


def test_load_keeps_key_order_dtypes_and_zero_d_arrays(tmp_path):
    state = OrderedDict([("z", np.zeros((2, 3), np.float32)), ("a", np.array(7, np.int64)),
                         ("m.w", np.arange(4.0))])
    ac.save(state, tmp_path / "s.npz")
    loaded = ac.load(tmp_path / "s.npz")
    assert isinstance(loaded, OrderedDict) and list(loaded) == ["z", "a", "m.w"]
    assert loaded["a"].shape == () and loaded["a"].dtype == np.int64
    assert loaded["z"].dtype == np.float32


def test_file_is_a_plain_npz_that_numpy_reads_without_pickle(tmp_path):
    path = tmp_path / "w.bin"  # written at exactly this path, no extension added
    ac.save({"weight": ac.ones(2, 2), "bias": np.zeros(2)}, path)
    with np.load(path, allow_pickle=False) as archive:
        assert archive.files == ["weight", "bias"]
        np.testing.assert_array_equal(archive["weight"], np.ones((2, 2)))


def test_keys_that_np_savez_reserves_are_saved_too(tmp_path):
    ac.save({"file": np.ones(1), "allow_pickle": np.zeros(1)}, tmp_path / "k.npz")
    assert list(ac.load(tmp_path / "k.npz")) == ["file", "allow_pickle"]


def test_save_rejects_non_array_values_naming_the_key(tmp_path):
    with pytest.raises(TypeError, match="entry 'opt' must be a NumPy array or a Tensor, got "
                                        "dict"):
        ac.save({"w": np.ones(1), "opt": {"lr": 0.1}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="entry 's' has dtype <U3"):
        ac.save({"s": np.array(["abc"])}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="entry 'o' has dtype object"):
        ac.save({"o": np.array([object()])}, tmp_path / "x.npz")


def test_save_of_a_model_instead_of_its_state_dict_says_so(tmp_path):
    with pytest.raises(TypeError, match=r"pass model.state_dict\(\)"):
        ac.save(nn.Linear(1, 1), tmp_path / "x.npz")


def test_load_of_a_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no such model file: .*nope\.npz"):
        ac.load(tmp_path / "nope.npz")


def test_load_of_a_non_zip_file_says_it_is_not_a_model_file(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"this is not a zip archive")
    with pytest.raises(ValueError, match="is not a model file"):
        ac.load(path)


def test_load_of_a_single_npy_array_explains_the_difference(tmp_path):
    path = tmp_path / "one.npy"
    np.save(path, np.ones(3))
    with pytest.raises(ValueError, match=r"single array \(.npy\), not an .npz archive"):
        ac.load(path)


def test_load_of_a_truncated_archive_raises_value_error(tmp_path):
    path = tmp_path / "cut.npz"
    ac.save({"w": np.ones(1000)}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match=r"cut\.npz"):
        ac.load(path)


def test_load_refuses_pickled_object_arrays(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, payload=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickled objects, which are never loaded"):
        ac.load(path)


def test_loading_a_file_with_wrong_entries_names_them(tmp_path):
    path = tmp_path / "other.npz"
    ac.save(nn.Linear(3, 2).state_dict(), path)
    with pytest.raises(ValueError, match=r"size mismatch for 'weight': expected shape \[4, "
                                         r"3\], got \[2, 3\]"):
        nn.Linear(3, 4).load_state_dict(ac.load(path))
    with pytest.raises(ValueError, match=r"missing keys: '0.weight' \[2, 3\]"):
        nn.Sequential(nn.Linear(3, 2)).load_state_dict(ac.load(path))


def test_archive_entries_are_stored_uncompressed_npy_files(tmp_path):
    path = tmp_path / "m.npz"
    ac.save({"a": np.ones(3)}, path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["a.npy"]
