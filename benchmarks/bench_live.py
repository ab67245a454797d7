"""A live class through the load balancer: N followers of one teacher's run, measured.

One command, from the repository root (HAProxy, redis-server and the dev requirements
installed)::

    python benchmarks/bench_live.py                 # 200 followers, 2 replicas, Redis, 30 s
    python benchmarks/bench_live.py --followers 30 --seconds 20   # a classroom

It starts the app as ``python deploy/serve.py --replicas 2 --redis`` does (``running_cluster``),
then, with the websocket client of ``deploy/streamlit_client.py`` (the frontend's protocol, no
browser): a teacher session opens ``/Live``, starts a room and goes to ``/Train``; N follower
sessions open ``/Live?room=CODE`` through HAProxy (new sessions alternate between the
replicas) and poll as the browser does: every ``AutoRerun`` interval the page asked for (one
second), a rerun of the polling fragment, which reruns the followed view when the room changed.
The teacher clicks Step every 2 s. Measured per follower and step: the delay from the end of
the teacher's Step (its run has published the new state) to the end of the follower's run
that shows that iteration; its p50, p95 and max (goal p95 <= 3 s), the share of steps every
follower saw, and the replicas' CPU per poll and per follower-second. The clients run on the
same cores (one Python process): their CPU is printed too. Baseline, in the same run: the
same followers polling a room nobody teaches (no full reruns), the floor of polling itself.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.proto.ClientState_pb2 import ClientState  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from deploy.serve import http_get, running_cluster, sticky_cookie  # noqa: E402
from deploy.streamlit_client import ProtocolError, StreamlitSession  # noqa: E402

STEP_EVERY = 2.0
DONE = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


class LiveSession(StreamlitSession):
    """A session that keeps the headings it was sent and the page's auto-rerun timer."""

    headings: list[str]
    poll: tuple[float, str] | None

    def _handle(self, forward: ForwardMsg) -> int | None:
        kind = forward.WhichOneof("type")
        if kind == "auto_rerun":
            self.poll = (forward.auto_rerun.interval, forward.auto_rerun.fragment_id)
        elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
            element = forward.delta.new_element
            if element.WhichOneof("type") == "heading":
                self.headings.append(element.heading.body)
        if kind == "script_finished" and forward.script_finished not in DONE:
            return None  # stopped early for a rerun: the rerun's own end follows
        return super()._handle(forward)


def session_via(url: str) -> LiveSession:
    """A new session through HAProxy, pinned to the replica its first GET reached."""
    status, headers, _ = http_get(url + "/Live")
    if status != 200:
        raise ProtocolError(f"GET /Live: {status}")
    session = LiveSession(url, cookie=sticky_cookie(headers))
    session.headings, session.poll = [], None
    session.connect()
    return session


@dataclass
class Follower:
    session: LiveSession
    seen: dict[int, float] = field(default_factory=dict)  # iteration -> when it was drawn
    polls: int = 0
    errors: list[str] = field(default_factory=list)

    def follow(self, until: float) -> None:
        while time.monotonic() < until:
            if self.session.poll is None:
                self.errors.append("no auto-rerun timer")
                return
            interval, fragment = self.session.poll
            time.sleep(interval)
            state = ClientState(
                query_string=self.session.query_string,
                page_script_hash=self.session.page_script_hash,
                fragment_id=fragment,
            )
            try:
                self.session._rerun(state)
            except ProtocolError as error:
                self.errors.append(str(error))
                return
            self.polls += 1
            shown = self.session.metrics.get("Iteration")
            if shown is not None:
                self.seen.setdefault(int(shown.replace(",", "")), time.monotonic())


def replica_cpu(cluster) -> float:
    total = 0.0
    for child in cluster.replicas:
        times = psutil.Process(child.process.pid).cpu_times()
        total += times.user + times.system
    return total


def measure(cluster, n_followers: int, seconds: float, teach: bool) -> dict:
    teacher = session_via(cluster.url)
    teacher.open_page("Live")
    teacher.click("w.live.start")
    code = next(h.split()[-1] for h in teacher.headings if h.startswith("Room "))
    teacher.open_page("Train")
    followers = []
    for _ in range(n_followers):
        follower = Follower(session_via(cluster.url))
        follower.session.open_page("Live", f"room={code}")
        followers.append(follower)
    replicas = {f.session.replica for f in followers}
    stepped: dict[int, float] = {}
    load_before = os.getloadavg()
    cpu_before, clients_before = replica_cpu(cluster), time.process_time()
    started = time.monotonic()
    until = started + seconds
    threads = [threading.Thread(target=f.follow, args=(until,)) for f in followers]
    for thread in threads:
        thread.start()
    while teach and time.monotonic() + STEP_EVERY < until - 3.0:
        time.sleep(STEP_EVERY)
        teacher.click("w.train.step")
        stepped[int(teacher.metrics["Iteration"])] = time.monotonic()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cpu = replica_cpu(cluster) - cpu_before
    delays = [
        follower.seen[iteration] - at
        for follower in followers
        for iteration, at in stepped.items()
        if iteration in follower.seen
    ]
    wanted = len(stepped) * len(followers)
    for session in [teacher, *(f.session for f in followers)]:
        session.close()
    polls = sum(f.polls for f in followers)
    return {
        "replicas": sorted(replicas),
        "steps": len(stepped),
        "seen": f"{len(delays)}/{wanted}",
        "delays": np.array(delays),
        "polls": polls,
        "cpu_per_poll_ms": 1000 * cpu / max(polls, 1),
        "cpu_per_follower_second_ms": 1000 * cpu / (len(followers) * elapsed),
        "replica_cpu_share": cpu / elapsed,
        "client_cpu_share": (time.process_time() - clients_before) / elapsed,
        "errors": [e for f in followers for e in f.errors][:5],
        "load": (load_before, os.getloadavg()),
    }


def report(title: str, result: dict) -> None:
    print(f"\n{title}")
    print(f"  followers' replicas {result['replicas']}; teacher steps {result['steps']}")
    delays = result["delays"]
    if delays.size:
        p50, p95 = np.percentile(delays, [50, 95])
        print(
            f"  Step -> follower drawn: p50 {p50:.2f} s, p95 {p95:.2f} s (goal <= 3 s), "
            f"max {delays.max():.2f} s; seen {result['seen']}"
        )
    print(
        f"  polls {result['polls']:,}; replica CPU {result['cpu_per_poll_ms']:.2f} ms per poll, "
        f"{result['cpu_per_follower_second_ms']:.2f} ms per follower-second, "
        f"{result['replica_cpu_share']:.2f} cores; clients {result['client_cpu_share']:.2f} cores"
    )
    before, after = result["load"]
    print(
        "  machine load average (1, 5, 15 min) before "
        f"{' '.join(f'{x:.2f}' for x in before)}, after {' '.join(f'{x:.2f}' for x in after)} "
        f"({os.cpu_count()} cores; other work on the machine counts in it)"
    )
    if result["errors"]:
        print(f"  errors: {result['errors']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--followers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    with running_cluster(replicas=2, redis=True, log=lambda message: None) as cluster:
        floor = measure(cluster, args.followers, min(args.seconds, 15.0), teach=False)
        report(f"Baseline: {args.followers} followers polling an idle room", floor)
        live = measure(cluster, args.followers, args.seconds, teach=True)
        report(f"{args.followers} followers, the teacher stepping every {STEP_EVERY:g} s", live)
        ratio = live["cpu_per_poll_ms"] / max(floor["cpu_per_poll_ms"], 1e-9)
        print(f"\n  CPU per poll while taught: {ratio:.1f}x the idle room's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
