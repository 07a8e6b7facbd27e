"""Varnish on this machine, in front of local app servers: `make edge`, the tests, the bench.

    python deploy/varnish/edge.py --port 8000 --edge-port 8080   # what `make edge` runs

``Varnish`` starts ``varnishd`` in the foreground (``-F``) with the project's VCL
(``newsroom.vcl``) and an ``origin.vcl`` of its own naming the local app servers, in a
working directory of its own (``-n``), so several edges can run side by side and none
touches the machine's own Varnish. ``main`` runs the demo behind one edge: the app
(``runserver``, like ``make run``), its worker on the database task backend (which sends
the purges), and Varnish, started together and stopped together (Ctrl-C, or any one of
them stopping). Standard library only: the tests and the bench import it too.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VCL = HERE / "newsroom.vcl"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def varnishd_path() -> str | None:
    """``varnishd`` (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin:/usr/local/sbin")


def origin_vcl(backends: list[tuple[str, int]], purgers: tuple[str, ...] = (HOST,)) -> str:
    """An ``origin.vcl`` for app servers on this machine (see origin.vcl.example)."""
    lines = ["import directors;", ""]
    for number, (host, port) in enumerate(backends, 1):
        lines += [
            f"backend app_{number} {{",
            f'    .host = "{host}";',
            f'    .port = "{port}";',
            "    .connect_timeout = 2s;",
            "    .first_byte_timeout = 35s;",
            "}",
        ]
    lines += ["", "sub vcl_init {", "    new newsroom_origin = directors.round_robin();"]
    lines += [f"    newsroom_origin.add_backend(app_{n});" for n in range(1, len(backends) + 1)]
    lines += ["}", "", "sub newsroom_backend {"]
    lines += ["    set req.backend_hint = newsroom_origin.backend();", "}", ""]
    lines += ["acl newsroom_purgers {", *(f'    "{address}";' for address in purgers), "}"]
    return "\n".join(lines) + "\n"


class Varnish:
    """One ``varnishd`` on a free port (or ``port``) in front of ``backends``."""

    def __init__(self, backends: list[tuple[str, int]], *, port: int | None = None,
                 memory: str = "256m", workdir: Path | None = None,
                 parameters: dict[str, str] | None = None):  # fmt: skip
        self.backends = backends
        #: More ``-p name=value`` run-time parameters.
        self.parameters = parameters or {}
        self.port = port or free_port()
        self.memory = memory
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="newsroom-varnish-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        binary = varnishd_path()
        if binary is None:
            raise RuntimeError(
                "varnishd is not installed (Debian: apt-get install varnish varnish-modules)"
            )
        return [
            binary,
            "-F",  # in the foreground: stopped with this process's handle
            "-n", str(self.workdir / "state"),
            "-a", f"{HOST}:{self.port}",
            "-T", "none",  # no management port: nothing here needs varnishadm
            "-j", "none",  # run as the current user: the working directory is its own
            "-f", str(VCL),
            "-p", f"vcl_path={self.workdir}:{HERE}",
            "-s", f"malloc,{self.memory}",
            *(f"-p{name}={value}" for name, value in self.parameters.items()),
        ]  # fmt: skip

    def start(self, timeout: float = 60) -> Varnish:
        (self.workdir / "origin.vcl").write_text(origin_vcl(self.backends))
        self.log_path = self.workdir / "varnishd.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            self.command(), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"varnishd stopped:\n{self.log()}")
            if self._answers():
                return self
            time.sleep(0.1)  # the VCL compiles: there is no event to wait on
        self.stop()
        raise RuntimeError(f"varnishd did not answer within {timeout} s:\n{self.log()}")

    def _answers(self) -> bool:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
        try:
            # A PURGE of no key: answered by the edge itself, never by the origin.
            connection.request("PURGE", "/")
            return connection.getresponse().status == 400
        except OSError:
            return False
        finally:
            connection.close()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def counter(self, name: str) -> int:
        """A varnishstat counter, e.g. ``MAIN.backend_req`` (requests sent to the origin)."""
        output = subprocess.run(
            [shutil.which("varnishstat") or "varnishstat", "-n", str(self.workdir / "state"),
             "-1", "-f", name],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout  # fmt: skip
        for line in output.splitlines():
            fields = line.split()
            if fields and fields[0] == name:
                return int(fields[1])
        return 0

    def fetches(self) -> list[tuple[str, str]]:
        """Every fetch from the origin still in the edge's log: ``(url, storage)``. The
        storage is ``s0`` for an answer kept in the cache, ``Transient`` for one passed to
        a single reader and never kept (varnishlog; the log is a ring buffer of 80 MB)."""
        output = subprocess.run(
            [shutil.which("varnishlog") or "varnishlog", "-n", str(self.workdir / "state"),
             "-d", "-b", "-g", "vxid", "-i", "BereqURL", "-i", "Storage"],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout  # fmt: skip
        fetches, url = [], None
        for line in output.splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[1] == "BereqURL":
                url = fields[2]
            elif len(fields) >= 4 and fields[1] == "Storage" and url is not None:
                fetches.append((url, fields[3]))
                url = None
        return fetches

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Varnish:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# -- make edge --------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description="The demo behind Varnish (make edge).")
    parser.add_argument("--port", type=int, default=8000, help="the app's port (PORT)")
    parser.add_argument("--edge-port", type=int, default=8080, help="Varnish's port (EDGE_PORT)")
    args = parser.parse_args()
    edge_url = f"http://{HOST}:{args.edge_port}/"
    env = {
        **os.environ,
        # The worker runs the purges, from the database queue, as in production.
        "NEWSROOM_TASKS_BACKEND": "database",
        "NEWSROOM_EDGE_PURGE_URLS": edge_url,
        # Searches and reports are limited per reader: the edge says who the reader is.
        "NEWSROOM_CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
    }
    python = sys.executable
    commands = {
        "app": [python, "manage.py", "runserver", "--noreload", f"{HOST}:{args.port}"],
        # A short poll: a purge leaves within a fifth of a second of the publish.
        "worker": [python, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.2"],
    }
    processes = {
        name: subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        for name, command in commands.items()
    }
    edge = Varnish([(HOST, args.port)], port=args.edge_port)
    stopping = []

    def stop(*_):
        stopping.append(True)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        edge.start()
        print(
            f"The demo behind Varnish: http://{HOST}:{args.edge_port}/ (the app itself: "
            f"http://{HOST}:{args.port}/, the admin: http://{HOST}:{args.edge_port}/admin/). "
            "Ctrl-C stops all three.",
            flush=True,
        )
        while not stopping:
            stopped = [name for name, process in processes.items() if process.poll() is not None]
            if edge.process.poll() is not None:
                stopped.append("varnishd")
            if stopped:
                print(f"{', '.join(stopped)} stopped: stopping the others.", file=sys.stderr)
                break
            time.sleep(0.5)  # a supervisor's poll
    finally:
        for process in processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        edge.stop()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
