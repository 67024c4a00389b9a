"""Where kgen.data finds raw files and writes caches (environment variables)."""

import gzip
import pathlib

import pytest

import kgen.data
from kgen.data import _paths, binarized_mnist


def test_cache_and_tfds_dirs_default_under_home_cache(monkeypatch):
    for var in ("KGEN_CACHE_DIR", "KGEN_TFDS_DIR"):
        monkeypatch.delenv(var, raising=False)
    home_cache = pathlib.Path("~/.cache/kgen").expanduser()
    assert _paths.tfds_data_dir() == home_cache / "tensorflow_datasets"
    assert binarized_mnist.manual_cache_dir() == home_cache / "manual" / "binarized_mnist"


def test_environment_variables_override_the_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("KGEN_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.delenv("KGEN_TFDS_DIR", raising=False)
    assert _paths.tfds_data_dir() == tmp_path / "c" / "tensorflow_datasets"
    assert binarized_mnist.manual_cache_dir() == tmp_path / "c" / "manual" / "binarized_mnist"
    monkeypatch.setenv("KGEN_TFDS_DIR", str(tmp_path / "t"))
    assert _paths.tfds_data_dir() == tmp_path / "t"
    assert _paths.tfds_data_dir(tmp_path / "arg") == tmp_path / "arg"


def test_shared_data_is_found_beside_the_project_without_env(monkeypatch):
    monkeypatch.delenv("KGEN_DATA_DIR", raising=False)
    monkeypatch.delenv("KGEN_MANUAL_DIR", raising=False)
    folder = _paths.raw_data_dir("binarized_mnist", env_var="KGEN_MANUAL_DIR")
    assert folder.parts[-3:] == ("shared", "data", "binarized_mnist")
    assert (folder / "binarized_mnist_test.amat.gz").is_file()


def test_kgen_data_dir_points_at_the_data_folder(monkeypatch, tmp_path):
    (tmp_path / "mnist").mkdir()
    monkeypatch.setenv("KGEN_DATA_DIR", str(tmp_path))
    assert _paths.raw_data_dir("mnist") == tmp_path / "mnist"


def test_folder_with_uncompressed_amat_files_is_used_as_is(monkeypatch, tmp_path):
    monkeypatch.setenv("KGEN_CACHE_DIR", str(tmp_path / "cache"))
    for fname, (size, _) in binarized_mnist.FILES.items():
        with open(tmp_path / fname, "wb") as f:
            f.truncate(size)  # sparse file: only the size is checked here
    assert binarized_mnist.prepare_manual_dir(tmp_path) == tmp_path
    assert not (tmp_path / "cache").exists()


def test_folder_without_the_files_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="binarized_mnist_train.amat"):
        binarized_mnist.prepare_manual_dir(tmp_path)


def test_gunzip_once_skips_a_file_of_the_right_size(tmp_path):
    source = tmp_path / "a.gz"
    with gzip.open(source, "wb") as f:
        f.write(b"0123456789")
    target = _paths.gunzip_once(source, tmp_path / "out" / "a", expected_size=10)
    assert target.read_bytes() == b"0123456789"
    target.write_bytes(b"ABCDEFGHIJ")  # same size: kept, not rewritten
    _paths.gunzip_once(source, target, expected_size=10)
    assert target.read_bytes() == b"ABCDEFGHIJ"


def test_gunzip_once_refuses_a_file_of_the_wrong_size_and_leaves_nothing(tmp_path):
    source = tmp_path / "a.gz"
    with gzip.open(source, "wb") as f:
        f.write(b"short")
    with pytest.raises(ValueError, match="expected 10"):
        _paths.gunzip_once(source, tmp_path / "out" / "a", expected_size=10)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("var", ["KGEN_DATA_DIR", "KGEN_MANUAL_DIR"])
def test_a_missing_folder_in_the_environment_is_an_error(monkeypatch, tmp_path, var):
    missing = tmp_path / "no_such_folder"
    monkeypatch.setenv(var, str(missing))
    with pytest.raises(ValueError, match=var) as info:
        _paths.raw_data_dir("mnist")
    assert str(missing) in str(info.value)
    with pytest.raises(ValueError, match=var):
        _paths.raw_data_dir("binarized_mnist", env_var="KGEN_MANUAL_DIR")


@pytest.mark.parametrize("var", ["KGEN_DATA_DIR", "KGEN_MANUAL_DIR"])
def test_load_refuses_a_missing_folder_even_with_a_prepared_cache(
    monkeypatch, tmp_path, prepared_binarized_mnist, var
):
    # The TFDS cache is prepared, so the raw files would never be looked up:
    # the variable must still be checked, before anything is written.
    missing = tmp_path / "no_such_folder"
    monkeypatch.setenv(var, str(missing))
    monkeypatch.setenv("KGEN_CACHE_DIR", str(tmp_path / "cache"))
    for name, split in [("binarized_mnist", "test"), ("mnist_test", "test"),
                        ("fashion_mnist", "test")]:
        with pytest.raises(ValueError, match=var) as info:
            kgen.data.load(name, split, data_dir=prepared_binarized_mnist.data_dir)
        assert str(missing) in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("KGEN_DATA_DIR", "")
    monkeypatch.setenv("KGEN_MANUAL_DIR", "")
    folder = _paths.raw_data_dir("mnist")
    assert folder.parts[-3:] == ("shared", "data", "mnist")


def test_prepare_once_prepares_a_data_set_once_when_jobs_start_together(tmp_path):
    # Two jobs on a fresh cache (a sweep's first runs): without the lock both
    # see "not prepared", both prepare, and TFDS's renames collide.
    import threading
    import time

    state = {"prepared": False, "calls": 0}

    class FakeBuilder:
        def is_prepared(self):
            return state["prepared"]

    def prepare(builder):
        state["calls"] += 1
        time.sleep(0.3)  # long enough for the other job to arrive
        state["prepared"] = True

    results = []
    jobs = [threading.Thread(target=lambda: results.append(
        _paths.prepare_once(FakeBuilder, prepare, tmp_path / "tfds", "toy")))
        for _ in range(2)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    assert state["calls"] == 1 and len(results) == 2
    assert all(builder.is_prepared() for builder in results)
    assert (tmp_path / "tfds" / "toy.lock").is_file()
    # Prepared already: no lock file is needed, nothing is written.
    other = tmp_path / "other"
    _paths.prepare_once(FakeBuilder, prepare, other, "toy")
    assert state["calls"] == 1 and not other.exists()
