"""Where kgen's data layer reads raw files and writes its caches.

Nothing here touches the disk except ``gunzip_once`` and ``prepare_once``; the
other functions only compute paths, so ``kgen.data.load`` can check its arguments first and write
afterwards.

Environment variables (all optional):

- ``KGEN_DATA_DIR``: the folder holding kgen's raw data sets (one sub-folder
  per data set, e.g. ``binarized_mnist/``, ``mnist/``). Defaults to the first
  ``shared/data`` folder found beside an ancestor of the ``kgen`` package.
- ``KGEN_MANUAL_DIR``: the folder with the three ``binarized_mnist_*.amat``
  (or ``.amat.gz``) files. Takes precedence over ``KGEN_DATA_DIR``.

Either of these two, when set (not empty), must name an existing folder:
``check_env_dirs`` raises a ``ValueError`` otherwise, rather than falling
back to another folder or a cache prepared earlier.
- ``KGEN_CACHE_DIR``: kgen's cache root. Defaults to ``~/.cache/kgen``.
- ``KGEN_TFDS_DIR``: TFDS's ``data_dir``. Defaults to
  ``<cache root>/tensorflow_datasets``.
"""

import contextlib
import fcntl
import gzip
import os
import pathlib
import shutil
import tempfile

_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent.parent


def cache_root():
    """Returns kgen's cache root: ``$KGEN_CACHE_DIR`` or ``~/.cache/kgen``."""
    env = os.environ.get("KGEN_CACHE_DIR")
    if env:
        return pathlib.Path(env).expanduser()
    return pathlib.Path("~/.cache/kgen").expanduser()


def tfds_data_dir(data_dir=None):
    """Returns TFDS's ``data_dir``: the argument, ``$KGEN_TFDS_DIR``, or the default.

    The default is ``<cache root>/tensorflow_datasets`` (``cache_root()``).
    """
    if data_dir is not None:
        return pathlib.Path(data_dir).expanduser()
    env = os.environ.get("KGEN_TFDS_DIR")
    if env:
        return pathlib.Path(env).expanduser()
    return cache_root() / "tensorflow_datasets"


RAW_DIR_VARS = ("KGEN_DATA_DIR", "KGEN_MANUAL_DIR")


def check_env_dirs():
    """Checks that ``$KGEN_DATA_DIR`` and ``$KGEN_MANUAL_DIR``, if set, are existing folders.

    An unset or empty variable is not checked. ``kgen.data.load`` calls this
    before anything is read or written, so a mistyped folder is reported even
    when the data set's cache was prepared earlier.

    Raises:
        ValueError: if a set variable names a path that is not a folder; the
            message names the variable and the path.

    Example:

    >>> check_env_dirs()  # with KGEN_DATA_DIR=/no/such/folder in the environment
    Traceback (most recent call last):
    ValueError: `KGEN_DATA_DIR` must name an existing folder. ...
    """
    for var in RAW_DIR_VARS:
        value = os.environ.get(var)
        if value and not pathlib.Path(value).expanduser().is_dir():
            raise ValueError(
                f"`{var}` must name an existing folder. Unset it to use the default, "
                f"or create the folder. Received: {var}={value!r}"
            )


def _shared_data_candidates():
    env = os.environ.get("KGEN_DATA_DIR")
    if env:
        yield pathlib.Path(env).expanduser()
    for parent in (_PACKAGE_DIR, *_PACKAGE_DIR.parents):
        yield parent / "shared" / "data"


def raw_data_dir(subdir, explicit=None, env_var=None):
    """Finds the folder holding one data set's raw files.

    Resolution order: ``explicit`` (the caller's argument), ``$env_var`` (if
    given), ``$KGEN_DATA_DIR/<subdir>``, then ``<ancestor>/shared/data/<subdir>``
    for the ``kgen`` package folder and each of its ancestors.

    Args:
        subdir: the data set's folder name, e.g. ``"binarized_mnist"``.
        explicit: a path given by the caller, or ``None``.
        env_var: name of an environment variable that names the folder.

    Returns:
        ``pathlib.Path`` of an existing folder.

    Raises:
        ValueError: if ``$KGEN_DATA_DIR`` or ``$KGEN_MANUAL_DIR`` is set to a
            path that is not a folder (see ``check_env_dirs``).
        FileNotFoundError: if ``explicit`` is not a folder, or no candidate
            folder exists.
    """
    if explicit is not None:
        path = pathlib.Path(explicit).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(
                f"`manual_dir` must be an existing folder. Received: manual_dir='{explicit}'"
            )
        return path
    check_env_dirs()
    if env_var and os.environ.get(env_var):
        path = pathlib.Path(os.environ[env_var]).expanduser()
        if not path.is_dir():
            raise ValueError(
                f"`{env_var}` must name an existing folder. Received: {env_var}='{path}'"
            )
        return path
    tried = []
    for base in _shared_data_candidates():
        path = base / subdir
        tried.append(str(path))
        if path.is_dir():
            return path
    raise FileNotFoundError(
        f"Could not find the raw files of `{subdir}`. Pass `manual_dir=...`, or set "
        f"$KGEN_DATA_DIR to the folder that holds `{subdir}/`. Tried: {tried}"
    )


def gunzip_once(source, target, expected_size):
    """Gunzips ``source`` to ``target`` unless ``target`` already has ``expected_size`` bytes.

    The file is written to a temporary name in the target folder and renamed
    into place, so concurrent processes never see a half-written file.

    Args:
        source: path of the ``.gz`` file.
        target: path of the uncompressed file to create.
        expected_size: the uncompressed size in bytes.

    Returns:
        ``pathlib.Path`` of ``target``.

    Raises:
        ValueError: if the uncompressed file does not have ``expected_size`` bytes.
    """
    target = pathlib.Path(target)
    if target.is_file() and target.stat().st_size == expected_size:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, gzip.open(source, "rb") as src:
            shutil.copyfileobj(src, out, length=1 << 20)
        size = os.path.getsize(tmp)
        if size != expected_size:
            raise ValueError(
                f"'{source}' uncompresses to {size} bytes; expected {expected_size}. "
                "The file is corrupt or not the expected data set."
            )
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; use the usual mode
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target


def prepare_once(make_builder, prepare, data_dir, name):
    """Returns a prepared TFDS builder, preparing it at most once across processes.

    TFDS writes a split under a temporary folder and renames it at the end;
    two processes preparing the same data set into one ``data_dir`` (jobs of a
    sweep started together on a fresh cache) remove each other's temporary
    files and one fails with ``NotFoundError: Failed to finalize writing of
    split``. Here the preparation runs under an exclusive ``flock`` on
    ``<data_dir>/<name>.lock``; a process that waited re-checks with a new
    builder and finds the data prepared.

    Args:
        make_builder: callable with no argument returning a TFDS builder.
        prepare: callable taking that builder and preparing it.
        data_dir: TFDS's ``data_dir`` (the lock file's folder; created).
        name: the data set's name (the lock file's stem).

    Returns:
        A builder whose ``is_prepared()`` was true (or that ``prepare`` prepared).
    """
    bld = make_builder()
    if bld.is_prepared():
        return bld
    folder = pathlib.Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.lock", "a") as handle, contextlib.ExitStack() as stack:
        fcntl.flock(handle, fcntl.LOCK_EX)
        stack.callback(fcntl.flock, handle, fcntl.LOCK_UN)
        bld = make_builder()  # another process may have prepared it meanwhile
        if not bld.is_prepared():
            prepare(bld)
    return bld
