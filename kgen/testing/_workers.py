"""Long-lived helper processes of the harness: one interpreter serves many checks.

``assert_saved_model_round_trip`` and ``assert_replica_step_matches`` need a
Python process other than the test's (one without kgen, one whose CPU is split
in two). Starting one per call costs a TensorFlow import each, 8-15 s on a loaded
machine, so each check keeps one ``Worker`` per test process: started on first
use, fed one JSON line per request on its stdin, answering one JSON line on its
stdout (arrays travel in ``.npz`` files named by the request), and stopped at
interpreter exit. Each request is made independent of the ones before by the
worker script (fresh Keras session and seeds, a fresh SavedModel load).

A worker found dead is restarted; one that dies during a request it took after
earlier ones is restarted and asked once more, so that only a fresh process's
failure is reported; one that overruns the request's timeout is killed
(``subprocess.TimeoutExpired``, as ``subprocess.run`` raises) and restarted by
the next request.

With the environment variable ``KGEN_TESTING_FRESH_PROCESS=1`` both checks go
back to one fresh interpreter per call, to see whether a suspicious result
depends on what a worker ran before.
"""

import atexit
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time

FRESH_PROCESS_ENV = "KGEN_TESTING_FRESH_PROCESS"


def fresh_process():
    """Whether ``KGEN_TESTING_FRESH_PROCESS`` asks for one process per call."""
    return os.environ.get(FRESH_PROCESS_ENV, "").strip().lower() not in ("", "0", "false", "no")


class Worker:
    """A subprocess that answers JSON-line requests, restarted when it dies.

    Args:
        name: str, named in error messages ("the SavedModel loader").
        argv: list of str, the command (``sys.executable`` first).
        env: dict, its environment.
        cwd: its working directory; ``None``: a fresh temporary one, outside
            any repository.

    The worker must read one JSON object per stdin line and write one per
    stdout line: ``{"ok": true, ...}`` or ``{"ok": false, "traceback": str}``.
    Its stderr goes to a file, so that it can never block on a full pipe;
    ``call`` adds what a failed request wrote there to the traceback.
    """

    def __init__(self, name, argv, env, cwd=None):
        self.name, self.argv, self.env, self.cwd = name, list(argv), dict(env), cwd
        self._proc = self._dir = self._stderr = None
        self._buffer = b""
        self._owner = os.getpid()
        self._lock = threading.Lock()
        atexit.register(self.close)

    @property
    def pid(self):
        """The running worker's process id, ``None`` when none runs."""
        alive = self._proc is not None and self._proc.poll() is None
        return self._proc.pid if alive else None

    def call(self, message, timeout):
        """Sends ``message`` (a JSON-able dict) and returns the worker's answer.

        Returns:
            The answer, a dict with ``ok``; a worker that died answers ``{"ok":
            False, "traceback": <its exit code and stderr>}``.

        Raises:
            subprocess.TimeoutExpired: if no answer came within ``timeout`` s
                (the worker is killed).
        """
        with self._lock:
            for attempt in range(2):
                started = self._start_if_needed()
                reply = self._exchange(message, timeout)
                if reply is not None:
                    return reply
                died = self._stop(kill=True)
                if started or attempt:  # a fresh process died of this request
                    return {"ok": False, "traceback": f"{self.name} died: {died}"}
        raise AssertionError("unreachable")

    def close(self):
        """Stops the worker (end of its stdin, then a kill after 10 s)."""
        if os.getpid() == self._owner:  # not in a forked child
            self._stop(kill=False)

    def _start_if_needed(self):
        if self._proc is not None and self._proc.poll() is None:
            return False
        self._stop(kill=True)
        self._dir = tempfile.mkdtemp(prefix="kgen-worker-")
        path = os.path.join(self._dir, "stderr.txt")
        with open(path, "ab") as stderr:  # the worker's, appending; ours reads
            self._proc = subprocess.Popen(
                self.argv, env=self.env, cwd=self.cwd or self._dir, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=stderr, start_new_session=True)
        self._stderr = open(path, "rb")
        self._buffer = b""
        return True

    def _exchange(self, message, timeout):
        """The answer to ``message``; ``None`` if the worker died first."""
        offset = self._stderr.seek(0, os.SEEK_END)
        try:
            self._proc.stdin.write((json.dumps(message) + "\n").encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        line = self._read_line(time.monotonic() + timeout)
        if line is None:
            return None
        if line is TimeoutError:
            self._stop(kill=True)
            raise subprocess.TimeoutExpired(self.argv, timeout)
        reply = json.loads(line)
        if not reply.get("ok"):
            self._stderr.seek(offset)
            stderr = self._stderr.read().decode(errors="replace").strip()
            if stderr:
                reply["traceback"] = f"stderr:\n{stderr[-1500:]}\n{reply['traceback']}"
        return reply

    def _read_line(self, deadline):
        """One line of the worker's stdout, ``None`` at its end, or
        ``TimeoutError`` after ``deadline``."""
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return None
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def _stop(self, kill):
        """Ends the worker; returns its exit code and the tail of its stderr."""
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                if kill:
                    proc.kill()
                else:
                    proc.stdin.close()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._stderr.seek(0)
        stderr = self._stderr.read().decode(errors="replace")[-3000:]
        self._stderr.close()
        shutil.rmtree(self._dir, ignore_errors=True)
        return f"exit code {proc.returncode}, stderr:\n{stderr}"


def protocol_stream():
    """In a worker: the stream its answers go to (the original stdout), after
    sending everything else written to stdout (a stray ``print``, C++ logs) to
    stderr, where it cannot corrupt an answer."""
    stream = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return stream
