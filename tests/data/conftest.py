"""Fixtures for kgen.data: one offline TFDS preparation of binarized MNIST per session."""

import socket
import time
import types

import pytest


@pytest.fixture(scope="session")
def prepared_binarized_mnist(tmp_path_factory):
    """Prepares binarized MNIST in a temporary TFDS data_dir with the network blocked.

    Returns a namespace with ``data_dir`` (TFDS's data_dir), ``manual_folder``
    (the folder handed to TFDS as its manual_dir), ``seconds`` (time taken by
    the preparation) and ``connections`` (every socket connection attempted,
    which must stay empty).
    """
    from kgen.data import binarized_mnist

    root = tmp_path_factory.mktemp("kgen_data")
    data_dir = root / "tensorflow_datasets"
    connections = []

    def refuse(sock, address, *args, **kwargs):
        connections.append(address)
        raise OSError(f"network access attempted during an offline test: {address}")

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KGEN_CACHE_DIR", str(root / "cache"))
        mp.delenv("KGEN_MANUAL_DIR", raising=False)
        mp.delenv("KGEN_TFDS_DIR", raising=False)
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket.socket, "connect_ex", refuse)
        start = time.perf_counter()
        manual_folder = binarized_mnist.prepare_manual_dir()
        binarized_mnist.make_dataset("test", data_dir=data_dir)
        seconds = time.perf_counter() - start
        cache_folder = binarized_mnist.manual_cache_dir()
    return types.SimpleNamespace(
        data_dir=data_dir,
        manual_folder=manual_folder,
        cache_folder=cache_folder,
        seconds=seconds,
        connections=connections,
    )
