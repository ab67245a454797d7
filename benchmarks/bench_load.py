"""A class through the load balancer: 50 sessions clicking Step about once a second.

One command, from the repository root (HAProxy and the dev requirements installed)::

    python benchmarks/bench_load.py           # 50 sessions x 30 clicks; 1, 2 and nproc replicas
    python benchmarks/bench_load.py --quick   # 20 sessions x 5 clicks, to try it out

For each replica count it starts the app as ``python deploy/serve.py`` does (``running_cluster``:
N ``streamlit run app.py`` behind one HAProxy with sticky cookies; logs in
``test-output/bench-load-N``), warms each replica up directly (one session, three Steps), then
runs the sessions, each a thread with the websocket client of ``deploy/streamlit_client.py``
(the frontend's protocol, no browser). A session, like a browser: GETs ``/Train?lr=auto``
(n = 100) through HAProxy, which picks a replica and sets the ``SERVERID`` cookie; opens the
websocket with that cookie (it must reach the same replica); runs the page; waits until every
session is connected; then clicks Step (a fragment rerun) M times, waiting a think time
between clicks (0-1 s before the first, then uniform 0.5-1.5 s: about once a second, as a
student does), and checks that the page's "Iteration" shows M and its settings did not change.
The same seeds, hence the same think times, for every replica count.

Latency: from sending a click to that rerun's ``script_finished``. Clicks/s: clicks completed
in the clicking phase (all connected -> all done); "demand" is what an instant server would
allow. Server CPU: user + system time of the replicas over the phase, per click. The clients
run on the same cores (one Python process, about one core at most): their CPU is printed too.
The page's static files (the JavaScript, fetched once per browser) are not requested.

The baseline is the README's figure before ``deploy/`` existed: one ``streamlit run``, no
balancer, 50 sessions x 10 clicks, the same think times (``bench_app.py``'s load section).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.serve import Cluster, StartupError, http_get, running_cluster, sticky_cookie  # noqa: E402
from deploy.streamlit_client import ProtocolError, StreamlitSession  # noqa: E402

PAGE, QUERY, STEP = "Train", "lr=auto", "w.train.step"
TIMEOUT = 120.0  # any one wait: a rerun, opening the page, a barrier
BASELINE = "README before deploy/: 1 process, no balancer, 50 x 10 clicks"
BASELINE_MEDIAN_MS, BASELINE_CLICKS_PER_S = 1220.0, 23.0
TARGET_SESSIONS, TARGET_MEDIAN_MS = 50, 200.0  # with 2 replicas
# Clicks/s scale with replicas up to the core count: the last setup serves at least 80% of
# min(replica ratio, core ratio) times the first's, or 90% of the demand (think times cap it).
SCALING_SHARE, DEMAND_SHARE = 0.8, 0.9


@dataclass
class LoadRun:
    """One replica count's measurements."""

    replicas: int
    latencies: list[float] = field(default_factory=list)  # seconds per click
    errors: list[str] = field(default_factory=list)
    placement: list[str] = field(default_factory=list)  # each session's replica
    seconds: float = 0.0  # wall time of the clicking phase
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds over the phase
    load_before: float = field(default_factory=lambda: os.getloadavg()[0])

    def cpu_per_click_ms(self, who: str) -> float:
        return 1000 * self.cpu.get(who, 0.0) / max(1, len(self.latencies))


def think_times(seed: int, clicks: int) -> list[float]:
    """Seconds to wait before each click of session ``seed``."""
    rng = random.Random(seed)
    return [rng.uniform(0, 1)] + [rng.uniform(0.5, 1.5) for _ in range(clicks - 1)]


def without_iter(query_string: str) -> str:
    """A Train page's settings from its query string, without the iteration."""
    return "&".join(part for part in query_string.split("&") if not part.startswith("iter="))


def session_worker(url: str, clicks: int, seed: int, gates, run: LoadRun) -> None:
    """One student: the page through the balancer, then ``clicks`` Steps with think times."""
    connected, done = gates
    try:
        status, headers, _ = http_get(f"{url}/{PAGE}?{QUERY}", timeout=TIMEOUT)
        cookie, replica = sticky_cookie(headers), headers.get("X-Replica", "")
        if status != 200 or not cookie:
            raise ProtocolError(f"GET /{PAGE}: status {status}, sticky cookie {cookie!r}")
        with StreamlitSession(url, timeout=TIMEOUT, cookie=cookie) as session:
            if session.replica != replica:
                raise ProtocolError(f"page from {replica}, websocket to {session.replica}")
            run.placement.append(replica)
            session.open_page(PAGE, QUERY)
            settings = without_iter(session.query_string)
            connected.wait(TIMEOUT)
            for wait in think_times(seed, clicks):
                time.sleep(wait)
                run.latencies.append(session.click(STEP).seconds)
            if session.metrics.get("Iteration") != f"{clicks:,}":
                run.errors.append(f"Iteration {session.metrics.get('Iteration')} != {clicks}")
            if without_iter(session.query_string) != settings:  # a widget value misread
                run.errors.append(f"settings changed: {settings} -> {session.query_string}")
            done.wait(TIMEOUT * clicks)
    except (ProtocolError, OSError, threading.BrokenBarrierError) as error:
        run.errors.append(f"{type(error).__name__}: {error}")
        for gate in gates:
            gate.abort()


def warm_up(cluster: Cluster) -> None:
    """Each replica directly, not through HAProxy: imports, caches, the data set."""
    for replica in cluster.replicas:
        with StreamlitSession(replica.url, timeout=TIMEOUT) as session:
            session.open_page(PAGE, QUERY)
            for _ in range(3):
                session.click(STEP)
    time.sleep(1.0)  # let the warm-up sessions close


def cpu_seconds(cluster: Cluster) -> dict[str, float]:
    """User + system CPU time so far of the replicas, HAProxy, and this process (clients)."""

    def of(pid: int) -> float:
        times = psutil.Process(pid).cpu_times()
        return times.user + times.system

    return {
        "replicas": sum(of(child.process.pid) for child in cluster.replicas),
        "haproxy": of(cluster.balancer.process.pid),
        "clients": of(os.getpid()),
    }


def run_load(replicas: int, sessions: int, clicks: int) -> LoadRun:
    """Start ``replicas`` behind HAProxy, warm up, run the sessions; always stopped after."""
    run = LoadRun(replicas)
    log_dir = ROOT / "test-output" / f"bench-load-{replicas}"
    with running_cluster(replicas, log_dir=log_dir) as cluster:
        warm_up(cluster)
        gates = (threading.Barrier(sessions + 1), threading.Barrier(sessions + 1))
        threads = [
            threading.Thread(
                target=session_worker, args=(cluster.url, clicks, seed, gates, run), daemon=True
            )
            for seed in range(sessions)
        ]
        for thread in threads:
            thread.start()
        try:
            gates[0].wait(TIMEOUT)
            start, before = time.perf_counter(), cpu_seconds(cluster)
            gates[1].wait(TIMEOUT * clicks)
            run.seconds = time.perf_counter() - start
            after = cpu_seconds(cluster)
            run.cpu = {who: after[who] - before[who] for who in after}
        except threading.BrokenBarrierError:
            run.errors.append(f"a session failed; the run was aborted (logs: {log_dir})")
            for gate in gates:
                gate.abort()
        for thread in threads:
            thread.join(TIMEOUT)
    return run


def report(runs: Sequence[LoadRun], sessions: int, clicks: int) -> bool:
    """Print one row per setup, the baseline first, then the targets; True if all are met."""
    demand = sessions * clicks / max(sum(think_times(s, clicks)) for s in range(sessions))
    header = ["setup", "median", "p95", "clicks/s", "server CPU/click", "clients CPU/click"]
    rows = [[BASELINE, f"{BASELINE_MEDIAN_MS:.0f} ms", "", f"{BASELINE_CLICKS_PER_S:.1f}"]]
    rate: dict[int, float] = {}
    median: dict[int, float] = {}
    for run in runs:
        name = f"{run.replicas} replica(s) via HAProxy, {sessions} x {clicks} clicks"
        if run.errors or not run.latencies or not run.seconds:
            rows.append([name, f"FAILED: {len(run.errors)} errors"])
            continue
        rate[run.replicas] = len(run.latencies) / run.seconds
        median[run.replicas] = 1000 * float(np.median(run.latencies))
        rows.append(
            [
                name,
                f"{median[run.replicas]:.0f} ms",
                f"{1000 * float(np.percentile(run.latencies, 95)):.0f} ms",
                f"{rate[run.replicas]:.1f}",
                f"{run.cpu_per_click_ms('replicas'):.1f} ms",
                f"{run.cpu_per_click_ms('clients'):.1f} ms",
            ]
        )
    lines = [row + [""] * (len(header) - len(row)) for row in [header, *rows]]
    widths = [max(len(cell) for cell in column) for column in zip(*lines, strict=True)]
    for index, row in enumerate(lines):
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
        if index == 0:
            print("  ".join("-" * width for width in widths))
    print(f"\ndemand (an instant server): {demand:.1f} clicks/s")
    for run in runs:
        spread = ", ".join(f"{k}: {v}" for k, v in sorted(Counter(run.placement).items()))
        haproxy = run.cpu_per_click_ms("haproxy")
        print(
            f"{run.replicas} replica(s): sessions per replica {spread or '-'}; HAProxy CPU "
            f"{haproxy:.2f} ms/click; load average before {run.load_before:.2f}"
        )
        for error, count in Counter(run.errors).most_common(5):
            print(f"  error x{count}: {error}")
    if max(run.load_before for run in runs) > 1.0:
        print("note: a load average above 1 means other work shared the cores during a run")

    verdicts = []
    if 2 in median and sessions == TARGET_SESSIONS:
        met = median[2] < TARGET_MEDIAN_MS
        verdicts.append(
            (
                f"median < {TARGET_MEDIAN_MS:.0f} ms with 2 replicas at {sessions} sessions",
                met,
                f"{median[2]:.0f} ms (baseline {BASELINE_MEDIAN_MS:.0f} ms: "
                f"{BASELINE_MEDIAN_MS / median[2]:.2g}x as fast)",
            )
        )
    first, *rest = sorted(rate) or [0]
    cores = os.cpu_count() or 1
    for count in rest:
        ideal = min(count, cores) / min(first, cores)
        ratio = rate[count] / rate[first]
        met = ratio >= SCALING_SHARE * ideal or rate[count] >= DEMAND_SHARE * demand
        verdicts.append(
            (
                f"clicks/s, {count} vs {first} replica(s): >= {SCALING_SHARE * ideal:.1f}x "
                f"or >= {DEMAND_SHARE:.0%} of demand",
                met,
                f"{ratio:.2f}x, {rate[count] / demand:.0%} of demand ({cores} cores)",
            )
        )
    ok = all(not run.errors and run.latencies for run in runs)
    print()
    for name, met, detail in verdicts:
        print(f"{'met   ' if met else 'NOT MET'}  {name}: {detail}")
        ok = ok and met
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="20 sessions, 5 clicks each")
    parser.add_argument("--sessions", type=int, help=f"default {TARGET_SESSIONS} (--quick: 20)")
    parser.add_argument("--clicks", type=int, help="Steps per session (default 30, --quick 5)")
    parser.add_argument(
        "--replicas", type=int, nargs="+", help="replica counts (default: 1, 2 and the CPU count)"
    )
    args = parser.parse_args(argv)
    sessions = args.sessions or (20 if args.quick else TARGET_SESSIONS)
    clicks = args.clicks or (5 if args.quick else 30)
    counts = sorted(set(args.replicas or [1, 2, os.cpu_count() or 1]))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{os.cpu_count()} CPUs, load average {load}; {sessions} sessions x {clicks} Step "
        f"clicks on /{PAGE}?{QUERY} (n = 100), about one a second; replicas {counts}\n"
    )
    runs = []
    for replicas in counts:
        started = time.perf_counter()
        try:
            runs.append(run_load(replicas, sessions, clicks))
        except (ProtocolError, StartupError, OSError) as error:  # e.g. the app is broken
            runs.append(LoadRun(replicas, errors=[f"{type(error).__name__}: {error}"]))
        print(f"{replicas} replica(s): ran in {time.perf_counter() - started:.0f} s", flush=True)
    print()
    return 0 if report(runs, sessions, clicks) else 1


if __name__ == "__main__":
    sys.exit(main())
