"""Benchmarks of ``ui.rooms``: each store's operations per second, and a class of 50 answering.

Run from the repository root (Linux, Debian's ``redis-server`` and ``redis-benchmark``
installed): ``python benchmarks/bench_rooms.py``, about a minute. It starts its own
redis-server on a free port (no persistence) and stops it at the end; SQLite works on a file
in a temporary directory, WAL mode, as the app's default store does.

(a) Operations per second, one thread, one room, each operation ``N_OPS`` times per round,
    ``ROUNDS`` rounds interleaved (round-robin, so that a slow spell of the machine hits all
    of them), the median and the best round reported: ``publish`` (the seed note's query
    after 40 steps, 160 bytes of JSON), ``read_published`` and ``read_question`` (a student's
    poll, with its token), and ``submit_answer`` (a new student each time, a seat and an
    answer, in rooms filled to their 500 seats). Baselines, measured in the same run: a plain
    ``dict`` in memory doing each operation's bare work (JSON of the query in, a dict entry;
    the ceiling of any store); for SQLite, a raw ``INSERT`` of one row in its own transaction
    on a file of the same settings (Python's ``sqlite3``); for Redis, a ``SET`` round trip of
    redis-py on one client, and ``redis-benchmark -t set -c 1 -P 1`` (the C client's rate on
    one connection, no pipelining). Ratios are the store's ops/s over the baseline's.
(b) A class: 50 student threads poll ``read_question`` every 1 to 2 s (seeded jitter) and
    each answers once at a random moment of a 10 s window (a third of them change their
    answer once); a teacher thread publishes 5 times a second and counts the answers once a
    second. Then the teacher reveals. Checked: all 50 counted once, the histogram equal to
    the answers sent; reported: the latency of ``submit_answer`` (median, 95th percentile,
    max) and the polls served.

Before and after each part the share of the CPUs that other processes used is printed (from
``/proc/stat``, minus this process and its redis-server), and a part measured beside them is
flagged as unreliable.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis

from ui.rooms import MAX_STUDENTS, RedisRoomStore, SqliteRoomStore, new_student_token
from ui.settings import SEED_NOTE, to_query

N_OPS = 1_000
ROUNDS = 3
CLASS_SIZE = 50
WINDOW = 10.0  # seconds in which the class answers
BUSY_SHARE = 0.25  # others using more than this share of the CPUs spoil a table
QUERY = to_query(SEED_NOTE, 40, [(0.5, 40)])


@dataclass(frozen=True)
class Question:
    id: str = "loss-direction.40"
    text: str = "At iteration 40 the loss is 0.6. Will it go down or up at the next step?"
    options: tuple[str, ...] = ("down", "up", "no change")
    answer: str = "down"
    reveal: str = "It went down."


# ------------------------------------------------------------------------- the machine


def cpu_seconds(server_pid: int | None) -> tuple[float, float, float]:
    """Busy and total CPU seconds of all cores, and this process's plus its server's."""
    with open("/proc/stat", encoding="utf-8") as stat:
        ticks = [int(field) for field in stat.readline().split()[1:]]
    hertz, own = os.sysconf("SC_CLK_TCK"), os.times()
    mine = own.user + own.system
    if server_pid is not None:
        with open(f"/proc/{server_pid}/stat", encoding="utf-8") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        mine += (int(fields[11]) + int(fields[12])) / hertz  # utime, stime
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / hertz, sum(ticks) / hertz, mine


def others_share(since: tuple[float, float, float], server_pid: int | None) -> float:
    now = cpu_seconds(server_pid)
    busy = max((now[0] - since[0]) - (now[2] - since[2]), 0.0)
    return busy / max(now[1] - since[1], 1e-9)


def report_others(when: str, since: tuple[float, float, float], server_pid: int) -> None:
    share = others_share(since, server_pid)
    warning = " -> UNRELIABLE, rerun on a quiet machine" if share > BUSY_SHARE else ""
    print(f"{when}: other processes kept {share:.0%} of the CPUs busy{warning}")


def print_machine() -> None:
    versions = f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    print(f"{versions}, redis-py {redis.__version__}, {os.cpu_count()} CPUs")
    print(f"load average (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


# ------------------------------------------------------------------------ redis-server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis() -> tuple[subprocess.Popen, int]:
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("redis-server is not installed: apt-get install redis-server")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return process, port
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                sys.exit(f"redis-server did not start on port {port}")
            time.sleep(0.05)


def redis_benchmark_set_rate(port: int) -> float | None:
    """``redis-benchmark``'s SET requests per second: one connection, no pipelining."""
    tool = shutil.which("redis-benchmark")
    if tool is None:
        return None
    result = subprocess.run(
        [tool, "-p", str(port), "-t", "set", "-n", "20000", "-c", "1", "-P", "1", "-q"],
        capture_output=True,
        text=True,
        check=True,
    )
    # "SET: 23809.52 requests per second, p50=0.039 msec" (after carriage-return progress).
    last = result.stdout.replace("\r", "\n").strip().splitlines()[-1]
    return float(last.split(":")[1].split()[0])


# ------------------------------------------------------------------- (a) operations/s


def ops_per_second(operations: dict[str, Callable[[int], None]]) -> dict[str, list[float]]:
    """Each operation ``N_OPS`` times per round, rounds interleaved; ops/s of each round."""
    rates: dict[str, list[float]] = {name: [] for name in operations}
    for _ in range(ROUNDS):
        for name, operation in operations.items():
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                for i in range(N_OPS):
                    operation(i)
                elapsed = time.perf_counter() - start
            finally:
                gc.enable()
            rates[name].append(N_OPS / elapsed)
    return rates


def store_operations(store) -> dict[str, Callable[[int], None]]:
    room = store.create_room()
    store.publish(room.code, room.teacher_secret, QUERY)
    store.open_question(room.code, room.teacher_secret, Question())  # what read_question reads
    reader = new_student_token()
    answering = {}

    def submit(i: int) -> None:
        # New students fill a room to its 500 seats, then the next room: every answer is a
        # new seat, as in a room of the largest allowed size (a room opened per 500 answers
        # is in the timing: 2 operations in 500).
        if i % MAX_STUDENTS == 0:
            fresh = store.create_room()
            answering["room"] = fresh.code
            answering["number"] = store.open_question(fresh.code, fresh.teacher_secret, Question())
        store.submit_answer(answering["room"], new_student_token(), answering["number"], "down")

    return {
        "publish": lambda i: store.publish(room.code, room.teacher_secret, QUERY),
        "read_published": lambda i: store.read_published(room.code),
        "read_question": lambda i: store.read_question(room.code, reader),
        "submit_answer": submit,
    }


def dict_operations() -> dict[str, Callable[[int], None]]:
    """Each operation's bare work on a dict: the ceiling of any store."""
    state: dict = {"version": 0, "answers": {}}
    question = json.dumps(Question().__dict__)
    tokens = [new_student_token() for _ in range(N_OPS * ROUNDS)]
    seated = iter(tokens)

    def publish(i: int) -> None:
        state["state"] = json.dumps(QUERY)
        state["version"] += 1

    return {
        "publish": publish,
        "read_published": lambda i: (json.loads(state["state"]), state["version"]),
        "read_question": lambda i: (json.loads(question), state["answers"].get("x")),
        "submit_answer": lambda i: state["answers"].__setitem__(next(seated), "down"),
    }


def sqlite_insert_operation(path: Path) -> Callable[[int], None]:
    """One row INSERTed in its own transaction: WAL, synchronous=NORMAL, as the store."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS raw (k INTEGER PRIMARY KEY, v TEXT)")
    payload = json.dumps(QUERY)

    def insert(i: int) -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT OR REPLACE INTO raw (k, v) VALUES (?, ?)", (i, payload))
        db.execute("COMMIT")

    return insert


def print_rates(
    title: str, rates: dict[str, list[float]], baselines: dict[str, float | dict[str, float]]
) -> None:
    """A table of ops/s with one ratio column per baseline: a rate for every operation, or a
    rate per operation (the dict's)."""
    print(f"\n{title}")
    header = ["operation", "median ops/s", "best ops/s", *[f"/ {name}" for name in baselines]]
    rows = []
    for operation, values in rates.items():
        median = statistics.median(values)
        ratios = []
        for baseline in baselines.values():
            rate = baseline[operation] if isinstance(baseline, dict) else baseline
            ratios.append(f"{median / rate:.3g}")
        rows.append([operation, f"{median:,.0f}", f"{max(values):,.0f}", *ratios])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  " + "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def bench_operations(sqlite_store, redis_store, redis_port: int) -> None:
    dict_rates = ops_per_second(dict_operations())
    per_operation = {name: statistics.median(values) for name, values in dict_rates.items()}
    print_rates("plain dict in memory: each operation's bare work (the ceiling)", dict_rates, {})

    raw_path = sqlite_store.path.with_suffix(".raw.sqlite3")
    raw_insert = statistics.median(
        ops_per_second({"raw INSERT": sqlite_insert_operation(raw_path)})["raw INSERT"]
    )
    client = redis.Redis(port=redis_port)
    redis_py_set = statistics.median(
        ops_per_second({"SET": lambda i: client.set(f"bench:{i}", "x")})["SET"]
    )
    benchmark_set = redis_benchmark_set_rate(redis_port)
    print(f"\nbaseline: SQLite raw INSERT, one row per transaction: {raw_insert:,.0f} ops/s")
    print(f"baseline: redis-py SET round trip: {redis_py_set:,.0f} ops/s")
    if benchmark_set is not None:
        print(f"baseline: redis-benchmark SET (-c 1 -P 1): {benchmark_set:,.0f} ops/s")

    sqlite_rates = ops_per_second(store_operations(sqlite_store))
    print_rates(
        "SqliteRoomStore",
        sqlite_rates,
        {"raw INSERT": raw_insert, "dict": per_operation},
    )
    redis_rates = ops_per_second(store_operations(redis_store))
    redis_baselines: dict[str, float | dict[str, float]] = {"redis-py SET": redis_py_set}
    if benchmark_set is not None:
        redis_baselines["redis-benchmark SET"] = benchmark_set
    redis_baselines["dict"] = per_operation
    print_rates("RedisRoomStore (real redis-server)", redis_rates, redis_baselines)


# --------------------------------------------------------------------------- (b) a class


def run_class(store, seed: int = 0) -> bool:
    """50 students poll and answer within WINDOW seconds; return whether all were counted."""
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    options = Question().options
    students = [new_student_token() for _ in range(CLASS_SIZE)]
    final: dict[str, str] = {}
    latencies: list[float] = []
    polls = [0]
    errors: list[BaseException] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(CLASS_SIZE + 1)
    stop = threading.Event()

    def student(index: int) -> None:
        rng = random.Random(seed * 1_000 + index)
        answer_at = rng.uniform(0.5, WINDOW - 1.5)
        change_at = answer_at + rng.uniform(0.2, 1.0) if index % 3 == 0 else None
        first = rng.choice(options)
        start_gate.wait()
        began = time.monotonic()
        next_poll = began + rng.uniform(0.0, 1.0)
        planned = [(answer_at, first)]
        if change_at is not None:
            planned.append((change_at, options[(options.index(first) + 1) % 3]))
        try:
            while not stop.is_set():
                now = time.monotonic()
                if planned and now - began >= planned[0][0]:
                    _, option = planned.pop(0)
                    t0 = time.perf_counter()
                    store.submit_answer(room.code, students[index], number, option)
                    with lock:
                        latencies.append(time.perf_counter() - t0)
                        final[students[index]] = option
                if now >= next_poll:
                    store.read_question(room.code, students[index])
                    with lock:
                        polls[0] += 1
                    next_poll = now + rng.uniform(1.0, 2.0)
                time.sleep(0.02)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(CLASS_SIZE)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    began = time.monotonic()
    published = counted_polls = 0
    while time.monotonic() - began < WINDOW:
        store.publish(room.code, room.teacher_secret, {**QUERY, "iter": str(40 + published)})
        published += 1
        if published % 5 == 0:
            store.count_answers(room.code, room.teacher_secret)
            counted_polls += 1
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join()
    revealed = store.reveal(room.code, room.teacher_secret)
    expected = Counter(final.values())
    exact = (
        not errors
        and len(final) == CLASS_SIZE
        and revealed.answer_count == CLASS_SIZE
        and revealed.histogram == {option: expected[option] for option in options}
    )
    ordered = sorted(latencies)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(
        f"  answers sent {len(latencies)} by {len(final)} students, counted "
        f"{revealed.answer_count}, histogram {revealed.histogram} "
        f"{'== what was sent' if exact else '!= what was sent: FAILED'}"
    )
    print(
        f"  submit_answer latency: median {statistics.median(ordered) * 1e3:.2f} ms, "
        f"p95 {p95 * 1e3:.2f} ms, max {ordered[-1] * 1e3:.2f} ms; "
        f"{polls[0]} student polls, {published} publishes, {counted_polls} counts in "
        f"{WINDOW:.0f} s"
    )
    if errors:
        print(f"  errors: {errors[:3]}")
    return exact


# ---------------------------------------------------------------------------------- main


def main() -> int:
    print_machine()
    process, port = start_redis()
    try:
        with tempfile.TemporaryDirectory() as directory:
            sqlite_store = SqliteRoomStore(Path(directory) / "rooms.sqlite3")
            redis_store = RedisRoomStore(redis.Redis(port=port))
            since = cpu_seconds(process.pid)
            print(f"\n(a) operations per second, {N_OPS:,} per round, {ROUNDS} rounds interleaved")
            bench_operations(sqlite_store, redis_store, port)
            report_others("\n(a)", since, process.pid)
            all_exact = True
            for name, store in (("SqliteRoomStore", sqlite_store), ("RedisRoomStore", redis_store)):
                since = cpu_seconds(process.pid)
                print(f"\n(b) {name}: {CLASS_SIZE} students answering within {WINDOW:.0f} s")
                all_exact &= run_class(store)
                report_others(f"(b) {name}", since, process.pid)
            sqlite_store.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"\nload average (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0 if all_exact else 1


if __name__ == "__main__":
    sys.exit(main())
