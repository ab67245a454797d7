"""Run Softmax Lab as N Streamlit replicas behind one HAProxy, with one command and a clean stop.

From the repository root::

    python deploy/serve.py --replicas 2 --port 8080           # serve until Ctrl-C or SIGTERM
    python deploy/serve.py --replicas 2 --port 8080 --check   # start, verify, stop (exit 0/1)
    python deploy/serve.py --frame-ancestors "'self' https://lms.example.edu"   # allow framing
    python deploy/serve.py --host 0.0.0.0 ...                 # let other machines in
    python deploy/serve.py ... -- --runner.fastReruns=false   # extra `streamlit run` options
    python deploy/serve.py --replicas 2 --redis               # live rooms shared in Redis

It starts N ``streamlit run app.py --server.headless=true --server.address=127.0.0.1
--server.fileWatcherType=none`` processes on free loopback ports and one HAProxy (Debian's
``/usr/sbin/haproxy``) on ``--port``, with the configuration generated into a temporary directory
from ``deploy/haproxy.cfg.template``: sticky sessions by cookie, websockets, health checks on
``/_stcore/health``, ``/_stcore/metrics`` refused, a ``Content-Security-Policy:
frame-ancestors`` header (the template says why each). It prints the URL once HAProxy sees every
replica healthy. With ``--redis`` it also starts Debian's ``redis-server`` on a free loopback port
(no persistence) and gives every replica its URL (``SOFTMAX_LAB_REDIS_URL``), so that the live
classroom's rooms (ui.rooms) are shared: a teacher on one replica, students on another. Without it
the replicas share this machine's SQLite file. Ctrl-C, SIGTERM or SIGHUP stops HAProxy, then every
replica, and waits for each; the children run in their own process group (a terminal's Ctrl-C
reaches only this script, which stops them in order) and, on Linux, are told to stop if this script
dies without cleaning up (``PR_SET_PDEATHSIG``).

Serving needs the standard library only (it runs with just ``requirements.txt``); ``--check``
also opens a Streamlit session over the websocket with ``deploy/streamlit_client.py``
(``websocket-client``, in ``requirements-dev.txt``). ``benchmarks/bench_load.py`` uses this
module as a library: ``with running_cluster(replicas=2) as cluster: ... cluster.url``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import ctypes
import os
import re
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("haproxy.cfg.template")
COOKIE = "SERVERID"  # as in the template's `cookie` line
FRAME_ANCESTORS = "'self'"  # the CSP frame-ancestors sources: this origin only
# Sources HAProxy can quote safely: 'self', 'none', origins such as https://*.example.edu.
SOURCE_LIST = re.compile(r"[A-Za-z0-9'*:/.\- ]+")
STARTUP_SECONDS = 90.0  # N replicas importing numpy, scikit-learn and plotly on few cores
STOP_SECONDS = 10.0  # then a child that has not exited is killed
INSTALL_HINT = (
    "HAProxy is not installed: on Debian or Ubuntu, `sudo apt-get install -y haproxy` "
    "(the service it installs need not run: this script starts its own HAProxy)."
)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
REDIS_URL_VARIABLE = "SOFTMAX_LAB_REDIS_URL"  # as ui.rooms reads it
REDIS_HINT = (
    "redis-server is not installed: on Debian or Ubuntu, `sudo apt-get install -y redis-server`"
)


class StartupError(RuntimeError):
    """A replica or HAProxy did not start, or did not become healthy in time."""


@dataclass
class Child:
    """A process this module started, with its log file."""

    name: str
    process: subprocess.Popen
    log: Path
    url: str = ""  # a replica's own address (bypassing HAProxy)

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-chars:]
        return ""


@dataclass
class Cluster:
    """N running replicas behind a running HAProxy."""

    url: str  # where browsers go, e.g. http://127.0.0.1:8080
    replicas: list[Child]
    balancer: Child
    stats_socket: Path
    log_dir: Path
    frame_ancestors: str = FRAME_ANCESTORS
    supervisor: Supervisor | None = None  # restarts replicas that exit (running_cluster)
    store_url: str = ""  # the Redis every replica's rooms live in ("": SQLite)
    store: Child | None = None  # the redis-server this module started

    def server_states(self) -> dict[str, str]:
        """HAProxy's view of each replica, e.g. ``{"r1": "UP", "r2": "DOWN"}``."""
        rows = haproxy_command(self.stats_socket, "show stat").lstrip("# ").splitlines()
        return {
            row["svname"]: row["status"]
            for row in csv.DictReader(rows)
            if row.get("pxname") == "streamlit" and row.get("svname") not in ("BACKEND", None)
        }


# -- starting and stopping ------------------------------------------------------------------


def free_port() -> int:
    """A TCP port free on the loopback right now (another program could take it first)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def find_haproxy() -> str:
    found = shutil.which("haproxy") or next(
        (path for path in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(path).exists()),
        None,
    )
    if found is None:
        raise StartupError(INSTALL_HINT)
    return found


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec hook that makes a child get SIGTERM when this process dies (Linux only).

    Without it, a ``kill -9`` of this script would leave replicas and HAProxy running.
    libc is loaded here, before forking, as only async-signal-safe work may follow a fork.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, signal.SIGTERM)


def spawn(
    name: str,
    command: Sequence[str],
    log: Path,
    env: dict[str, str] | None = None,
    *,
    append: bool = False,
) -> Child:
    """Start ``command`` in its own process group, output to ``log``."""
    with log.open("a" if append else "w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            process_group=0,  # Ctrl-C in a terminal reaches us, and we stop children in order
            preexec_fn=_parent_death_signal(),
        )
    return Child(name, process, log)


def replica_env(replicas: int, store_url: str = "") -> dict[str, str]:
    """This environment, with the math libraries' thread pools sized to a replica's share,
    and the rooms' Redis if there is one.

    One Streamlit process runs its scripts on about one core (the GIL), so N replicas on N
    cores each get cores/N threads instead of all of them fighting for every core. Values
    set by the caller are kept.
    """
    env = dict(os.environ)
    if store_url:
        env[REDIS_URL_VARIABLE] = store_url
    threads = str(max(1, (os.cpu_count() or 1) // replicas))
    for variable in THREAD_VARIABLES:
        env.setdefault(variable, threads)
    return env


def start_replica(
    index: int,
    replicas: int,
    log_dir: Path,
    extra_args: Sequence[str],
    port: int | None = None,
    store_url: str = "",
) -> Child:
    """Start replica ``r<index>`` on ``port`` (a free one if None); its log is appended to,
    so that a restarted replica's log keeps what the one before wrote."""
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",  # only HAProxy talks to the replicas
        # No reloading when a source file changes: with the default watcher, an edit in the
        # working tree drops modules from sys.modules while sessions run, and concurrent
        # reruns re-import them half-initialised (ImportError, KeyError: 'ui').
        "--server.fileWatcherType=none",
        *extra_args,
    ]
    name = f"r{index}"
    child = spawn(
        name,
        command,
        log_dir / f"replica-{name}.log",
        replica_env(replicas, store_url),
        append=True,
    )
    child.url = f"http://127.0.0.1:{port}"
    return child


def write_config(
    path: Path, bind: str, stats_socket: Path, replicas: Sequence[Child], frame_ancestors: str
) -> None:
    # `cookie rN` is the value HAProxy writes into the SERVERID cookie for that replica.
    servers = "\n".join(
        f"    server {child.name} {child.url.removeprefix('http://')} cookie {child.name}"
        for child in replicas
    )
    text = string.Template(TEMPLATE.read_text()).substitute(
        bind=bind,
        stats_socket=stats_socket,
        servers=servers,
        frame_ancestors=frame_ancestors.strip(),
    )
    path.write_text(text)


def start_redis(log_dir: Path, seconds: float = 20.0) -> Child:
    """Debian's redis-server on a free loopback port, nothing saved to disk; ready when it
    answers PING. Its URL is the child's ``url`` (``redis://127.0.0.1:<port>/0``)."""
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(server).exists():
        raise StartupError(REDIS_HINT)
    port = free_port()
    command = [
        server,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    child = spawn("redis", command, log_dir / "redis.log")
    child.url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise StartupError(f"redis-server exited:\n{child.log_tail()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return child
        time.sleep(0.1)
    stop([child])
    raise StartupError(f"redis-server did not answer in {seconds:g} s:\n{child.log_tail()}")


def start_haproxy(config: Path, log_dir: Path) -> Child:
    haproxy = find_haproxy()
    checked = subprocess.run(
        [haproxy, "-c", "-f", str(config)], capture_output=True, text=True, check=False
    )
    if checked.returncode != 0:
        raise StartupError(f"HAProxy rejects {config}:\n{checked.stdout}{checked.stderr}")
    # -db: stay in the foreground, one process, so that we hold its pid and can stop it.
    return spawn("haproxy", [haproxy, "-db", "-f", str(config)], log_dir / "haproxy.log")


def http_get(url: str, cookie: str = "", timeout: float = 5.0) -> tuple[int, Message, str]:
    """Status, headers and body of a GET (an HTTP error status is returned, not raised).

    The headers are looked up case-insensitively (HAProxy sends them in lower case).
    """
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, ""


def sticky_cookie(headers: Message) -> str:
    """The ``SERVERID=rN`` pair HAProxy set, for a Cookie header ("" if none).

    Streamlit sets a cookie of its own too (``_streamlit_xsrf``), hence the search.
    """
    for value in headers.get_all("Set-Cookie") or []:
        pair = value.split(";", 1)[0].strip()
        if pair.startswith(f"{COOKIE}="):
            return pair
    return ""


def haproxy_command(stats_socket: Path, command: str) -> str:
    """Send one command to HAProxy's stats socket and return its whole answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(5)
        connection.connect(str(stats_socket))
        connection.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def wait_until_healthy(cluster: Cluster, seconds: float = STARTUP_SECONDS) -> None:
    """Wait for each replica's health endpoint, then for HAProxy to see them all UP."""
    deadline = time.monotonic() + seconds
    pending = list(cluster.replicas)
    while pending or not all_up(cluster):
        for child in [*cluster.replicas, cluster.balancer]:
            if child.process.poll() is not None:
                raise StartupError(
                    f"{child.name} exited with code {child.process.returncode} (port taken?); "
                    f"its log ({child.log}):\n{child.log_tail()}"
                )
        if time.monotonic() > deadline:
            names = ", ".join(child.name for child in pending) or "HAProxy's view of them"
            raise StartupError(f"not healthy after {seconds:.0f} s: {names}")
        pending = [child for child in pending if not healthy(child.url)]
        time.sleep(0.3)


def healthy(url: str) -> bool:
    with contextlib.suppress(OSError):
        return http_get(f"{url}/_stcore/health", timeout=2)[0] == 200
    return False


def all_up(cluster: Cluster) -> bool:
    with contextlib.suppress(OSError):
        states = cluster.server_states()
        return len(states) == len(cluster.replicas) and set(states.values()) == {"UP"}
    return False


class Supervisor(threading.Thread):
    """Restarts a replica that exits, on its own port, with a growing pause between tries.

    HAProxy names each replica by its address, so the restarted one comes back UP there once
    its health checks pass; meanwhile its browsers reconnect to another replica, which rebuilds
    their runs from the query they hold. The pause doubles after each exit (1 s, 2 s, 4 s, up
    to ``MAX_BACKOFF``) so that a replica that cannot start does not spin, and starts again at
    1 s once a replica has run for ``STEADY_SECONDS``. Replicas started by this thread get the
    parent-death signal when it ends, which it does only when the cluster stops.
    """

    MAX_BACKOFF = 30.0
    STEADY_SECONDS = 60.0

    def __init__(self, cluster: Cluster, extra_args: Sequence[str], log=print) -> None:
        super().__init__(name="replica-supervisor", daemon=True)
        self.cluster = cluster
        self.extra_args = tuple(extra_args)
        self.log = log
        self.stopping = threading.Event()
        self.restarts: dict[str, int] = {child.name: 0 for child in cluster.replicas}
        self._lock = threading.Lock()
        self._pause = {child.name: 1.0 for child in cluster.replicas}
        self._began = {child.name: time.monotonic() for child in cluster.replicas}
        self._due: dict[str, float] = {}

    def run(self) -> None:
        while not self.stopping.wait(0.2):
            self.check()

    def check(self) -> None:
        """Restart every replica that has exited and whose pause is over."""
        with self._lock:
            for position, child in enumerate(self.cluster.replicas):
                if self.stopping.is_set():
                    return
                now = time.monotonic()
                if child.process.poll() is None:
                    if now - self._began[child.name] > self.STEADY_SECONDS:
                        self._pause[child.name] = 1.0
                    continue
                due = self._due.get(child.name)
                if due is None:
                    self._due[child.name] = now + self._pause[child.name]
                    self.log(
                        f"replica {child.name} exited with code {child.process.returncode}; "
                        f"restarting it in {self._pause[child.name]:g} s (log: {child.log})"
                    )
                    continue
                if now < due:
                    continue
                del self._due[child.name]
                port = int(child.url.rsplit(":", 1)[1])
                index = int(child.name.removeprefix("r"))
                self.cluster.replicas[position] = start_replica(
                    index,
                    len(self.cluster.replicas),
                    self.cluster.log_dir,
                    self.extra_args,
                    port,
                    self.cluster.store_url,
                )
                self.restarts[child.name] += 1
                self._began[child.name] = now
                self._pause[child.name] = min(self.MAX_BACKOFF, 2 * self._pause[child.name])
                self.log(f"replica {child.name} restarted on port {port}")

    def stop(self) -> None:
        """No more restarts (the cluster is stopping); waits for a restart under way."""
        self.stopping.set()
        with self._lock:
            pass


def stop(children: Sequence[Child]) -> None:
    """SIGTERM every child (HAProxy first: no new requests), wait, SIGKILL any left over.

    A second Ctrl-C or SIGTERM meanwhile is ignored, so that it cannot cut the stop short
    and leave children behind (the stop takes at most 2 x STOP_SECONDS).
    """
    with signals_ignored():
        for child in sorted(children, key=lambda c: c.name != "haproxy"):
            if child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for child in children:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait(STOP_SECONDS)


@contextlib.contextmanager
def signals_ignored() -> Iterator[None]:
    """Ignore SIGINT, SIGTERM and SIGHUP meanwhile (only the main thread can set handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in names}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def running_cluster(
    replicas: int = 2,
    port: int = 0,
    host: str = "127.0.0.1",
    log_dir: Path | None = None,
    extra_args: Sequence[str] = (),
    frame_ancestors: str = FRAME_ANCESTORS,
    log=print,
    redis: bool = False,
) -> Iterator[Cluster]:
    """N healthy replicas behind HAProxy on ``host:port`` (0: a free port), always stopped;
    a replica that exits meanwhile is restarted (:class:`Supervisor`, whose messages go to
    ``log``).

    The HAProxy configuration and stats socket live in a temporary directory, removed at
    the end; so are the logs unless ``log_dir`` is given. ``redis``: the rooms in a
    redis-server started here (:func:`start_redis`), stopped last. Call it from the main thread: the
    children's parent-death signal fires when the thread that started them ends.
    """
    if replicas < 1:
        raise ValueError("replicas must be >= 1")
    find_haproxy()  # fail early, with the install hint
    if not SOURCE_LIST.fullmatch(frame_ancestors.strip()):
        raise StartupError(f"frame-ancestors: not a CSP source list: {frame_ancestors!r}")
    started: list[Child] = []
    cluster: Cluster | None = None
    supervisor: Supervisor | None = None
    with tempfile.TemporaryDirectory(prefix="softmax-lab-serve-") as temp:
        work = Path(temp)
        logs = log_dir or work
        logs.mkdir(parents=True, exist_ok=True)
        store: Child | None = None
        try:
            if redis:
                store = start_redis(logs)
            store_url = store.url if store is not None else ""
            for index in range(1, replicas + 1):
                started.append(start_replica(index, replicas, logs, extra_args, None, store_url))
            port = port or free_port()
            config, stats_socket = work / "haproxy.cfg", work / "haproxy.sock"
            write_config(config, f"{host}:{port}", stats_socket, started, frame_ancestors)
            balancer = start_haproxy(config, logs)
            started.append(balancer)
            local = "127.0.0.1" if host in ("0.0.0.0", "") else host  # 0.0.0.0: all interfaces
            url = f"http://{local}:{port}"
            cluster = Cluster(
                url,
                started[:-1],
                balancer,
                stats_socket,
                logs,
                frame_ancestors,
                None,
                store_url,
                store,
            )
            wait_until_healthy(cluster)
            supervisor = Supervisor(cluster, extra_args, log)
            cluster.supervisor = supervisor
            supervisor.start()
            yield cluster
        finally:
            if supervisor is not None:
                supervisor.stop()
            # The replicas now running (restarted ones included), and any that never joined.
            running = [] if cluster is None else [*cluster.replicas, cluster.balancer]
            stop(running + [child for child in started if child not in running])
            if store is not None:  # last: a replica stopping may still write to it
                stop([store])


# -- --check --------------------------------------------------------------------------------


def check(cluster: Cluster) -> list[tuple[str, bool, str]]:
    """Health, headers and the metrics block through the balancer; stickiness of the page,
    the websocket and a /media download; new sessions spread over the replicas."""
    results = []

    def result(name: str, ok: bool, detail: object) -> None:
        results.append((name, ok, str(detail)))

    states = cluster.server_states()
    result("every replica UP in HAProxy", set(states.values()) == {"UP"}, states)
    status, _, body = http_get(f"{cluster.url}/_stcore/health")
    result("GET /_stcore/health via HAProxy", status == 200, f"{status} {body!r}")
    for path in ("/_stcore/metrics", "/%5fstcore/metrics"):  # the second: percent-encoded
        status = http_get(f"{cluster.url}{path}")[0]
        result(f"GET {path} via HAProxy refused", status == 403, status)
    status = http_get(f"{cluster.replicas[0].url}/_stcore/metrics")[0]
    result("(the same on a replica's own port answers)", status == 200, status)

    # Before any websocket: an open one counts for leastconn and would tilt the choice.
    fresh = [http_get(f"{cluster.url}/Train")[1].get("X-Replica", "") for _ in cluster.replicas * 2]
    everyone = {child.name for child in cluster.replicas}
    result("new sessions (no cookie) reach every replica", set(fresh) == everyone, fresh)
    status, headers, _ = http_get(f"{cluster.url}/Train")
    first, cookie = headers.get("X-Replica", ""), sticky_cookie(headers)
    result(
        "first GET /Train sets the sticky cookie",
        status == 200 and cookie == f"{COOKIE}={first}",
        f"{status}, X-Replica {first}, Set-Cookie {cookie!r}",
    )
    policy = headers.get("Content-Security-Policy", "")
    expected = f"frame-ancestors {cluster.frame_ancestors}"
    result("Content-Security-Policy header", policy == expected, repr(policy))
    again = [http_get(f"{cluster.url}/Train", cookie)[1].get("X-Replica", "") for _ in range(4)]
    result("4 more GETs with the cookie: same replica", set(again) == {first}, again)
    results.extend(check_session(cluster, cookie, first))
    # The charts' plotly.js (ui/live_chart.py owns its name), served from static/.
    bundle = plotly_bundle_path()
    status, headers, body = http_get(f"{cluster.url}{bundle}", cookie, timeout=20)
    kind = headers.get("Content-Type", "") if headers else ""
    result(
        f"GET {bundle} via HAProxy (the charts' plotly.js)",
        status == 200 and "javascript" in kind and len(body) > 1_000_000,
        f"{status}, {kind}, {len(body):,} chars",
    )
    return results


def plotly_bundle_path() -> str:
    """Where the app serves the charts' plotly.js (ui.live_chart owns it)."""
    sys.path.insert(0, str(ROOT))
    from ui.live_chart import plotly_js_url

    return plotly_js_url()


def check_session(cluster: Cluster, cookie: str, replica: str) -> list[tuple[str, bool, str]]:
    """A Streamlit session over the websocket with ``cookie``, and one of its /media files."""
    sys.path.insert(0, str(ROOT))
    try:
        from deploy.streamlit_client import ProtocolError, StreamlitSession
    except ImportError as error:  # websocket-client is a development requirement
        detail = f"{error} (pip install -r requirements-dev.txt)"
        return [("websocket session and /media (needs the dev requirements)", False, detail)]
    results = []
    try:
        with StreamlitSession(cluster.url, timeout=30, cookie=cookie) as session:
            run = session.open_page("Data")
            results.append(
                (
                    "websocket /_stcore/stream with the cookie: same replica, Data page runs",
                    session.replica == replica,
                    f"X-Replica {session.replica}, {run.frames} messages in {run.seconds:.2f} s",
                )
            )
            media = session.download_url("w.data.download")  # e.g. /media/<hash>.csv
            status, headers, body = http_get(f"{cluster.url}{media}", cookie)
            results.append(
                (
                    "the session's /media download with the cookie: same replica",
                    status == 200 and headers.get("X-Replica") == replica,
                    f"{media}: {status}, X-Replica {headers.get('X-Replica')}, {len(body)} chars",
                )
            )
            others = [child.name for child in cluster.replicas if child.name != replica]
            if others:  # why stickiness: no other replica has that file
                status = http_get(f"{cluster.url}{media}", f"{COOKIE}={others[0]}")[0]
                results.append(
                    (f"the same /media via replica {others[0]}: not there", status == 404, status)
                )
    except (ProtocolError, OSError) as error:
        results.append(("websocket session and /media", False, f"{type(error).__name__}: {error}"))
    return results


# -- command line ---------------------------------------------------------------------------


class StopSignal(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: handled as Ctrl-C is (a KeyboardInterrupt)."""


def _raise_stop(signum: int, _frame: object) -> None:
    raise StopSignal(signal.Signals(signum).name)


def serve(cluster: Cluster) -> int:
    """Print where to go, then wait until a signal (returns the exit code); the supervisor
    restarts replicas that exit and says so."""
    count = len(cluster.replicas)
    print(f"Softmax Lab: {cluster.url}  ({count} replica{'s' * (count > 1)} behind HAProxy)")
    print(f"logs: {cluster.log_dir}; Ctrl-C or SIGTERM stops everything", flush=True)
    while True:
        time.sleep(1.0)
        if cluster.balancer.process.poll() is not None:
            print(f"HAProxy exited:\n{cluster.balancer.log_tail()}", file=sys.stderr)
            return 1


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        epilog="Arguments after `--` go to every `streamlit run`.",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=os.cpu_count() or 1,
        help="Streamlit processes (default: one per CPU, as each uses about one core)",
    )
    parser.add_argument("--port", type=int, default=8080, help="HAProxy's port (default 8080)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="HAProxy's address (0.0.0.0: every interface)"
    )
    parser.add_argument("--log-dir", type=Path, help="keep the logs here (default: removed)")
    parser.add_argument(
        "--frame-ancestors",
        default=FRAME_ANCESTORS,
        help=f"who may frame the app, a CSP source list (default {FRAME_ANCESTORS})",
    )
    parser.add_argument(
        "--check", action="store_true", help="start, check health and stickiness, stop"
    )
    parser.add_argument(
        "--redis",
        action="store_true",
        help="start redis-server for the live classroom's rooms (default: a SQLite file)",
    )
    parser.add_argument("streamlit_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGINT explicitly: a shell starts background jobs with it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGHUP, _raise_stop)
    try:
        with running_cluster(
            args.replicas,
            args.port,
            args.host,
            args.log_dir,
            args.streamlit_args,
            args.frame_ancestors,
            log=lambda message: print(message, file=sys.stderr, flush=True),
            redis=args.redis,
        ) as cluster:
            if not args.check:
                return serve(cluster)
            results = check(cluster)
            for name, ok, detail in results:
                print(f"{'ok  ' if ok else 'FAIL'}  {name}: {detail}")
            return 0 if all(ok for _, ok, _ in results) else 1
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C, or StopSignal
        # running_cluster has stopped and waited for every child by now.
        print("\nstopped: HAProxy and every replica.", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
