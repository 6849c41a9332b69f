#!/usr/bin/env python3
"""Where the CPU of a side-by-side read run goes: the clients' share against the server's.

    python3 bench/read-cpu-split.py [--mode pop3|imap|both] [--mailroom-only] [--two-processes]

Loads Dovecot (../shared/reference/start-reference.sh, PLAIN passwords so that logins cost next to
nothing) and Mailroom (built by ../shared/reference/mr.py) with the same 50 users x 100 x 1 KB as
perf_read.py, then runs the same client (the reader functions of ../shared/reference/bench/read_bench.py,
10 processes, sessions logged in before the clock) against each: a warm-up run (Mailroom's
credential cache then holds the 50 logins), then a measured one. Over the reading alone (from the
barrier to the last reader's end) it takes the machine's CPU time (/proc/stat), each client
process's own (time.process_time()) and, for Mailroom, the server process's (/proc/PID/stat).
Server CPU per message is machine minus clients.

On a 2-core machine both servers share the cores with the same Python clients, so the client's CPU
per message bounds what any server can reach: 2 cores / client CPU per message, however little the
server spends. The last lines print that bound as a ratio to Dovecot's measured rate.
--two-processes measures what a second server process would give (issue 12: "one process per
core sharing the database", measured before it is built): after the one-process run, a second
`mailroom serve` starts on the same data directory with ports of its own, the clients alternate
between the two (client k on process k mod 2), then the one process alone runs once more, so that
warm-up favours neither. Server CPU is then the two processes' together.
Run as root, like the reference scripts; loopback only.
"""
import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "..", "shared", "reference")
sys.path.insert(0, REFERENCE)
from mr import Server  # noqa: E402
from perf_read import load  # noqa: E402
from perf_smtp import maildir_count_all, reference  # noqa: E402

sys.path.insert(0, os.path.join(REFERENCE, "bench"))
import read_bench  # noqa: E402

USERS, CLIENTS = 50, 10


def machine_cpu():
    fields = open("/proc/stat").readline().split()[1:]
    user, nice, system, idle, iowait, irq, softirq = (int(x) for x in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reader(args, users, barrier, out):
    """read_bench.py's reader, timing its own CPU over the reading alone."""
    opener, read = (read_bench.open_pop3, read_bench.read_pop3) if args.mode == "pop3" else \
        (read_bench.open_imap, read_bench.read_imap)
    sessions = [opener(args, u) for u in users]
    barrier.wait(timeout=300)
    c0 = time.process_time()
    msgs = 0
    for s, arg in sessions:
        msgs += read(s, arg)[0]
    out.put((msgs, time.process_time() - c0, time.monotonic()))


def read_run(mode, ports, password, server_pids=()):
    """Client k reads from ports[k % len(ports)]; server CPU is that of server_pids together."""
    ports = ports if isinstance(ports, list) else [ports]
    server_pids = list(server_pids) if isinstance(server_pids, (list, tuple)) else [server_pids]
    arg_sets = [argparse.Namespace(mode=mode, host="127.0.0.1", port=p, password=password) for p in ports]
    users = ["user%d@example.test" % i for i in range(1, USERS + 1)]
    best = None
    for _ in range(2):  # the first also warms Mailroom's credential cache; the second is kept
        out = mp.Queue()
        barrier = mp.Barrier(CLIENTS + 1)
        procs = [mp.Process(target=reader, args=(arg_sets[k % len(arg_sets)], users[k::CLIENTS], barrier, out))
                 for k in range(CLIENTS)]
        for p in procs:
            p.start()
        barrier.wait(timeout=300)
        t0, m0 = time.monotonic(), machine_cpu()
        s0 = sum(process_cpu(pid) for pid in server_pids)
        res = [out.get(timeout=600) for _ in procs]
        t1, m1 = time.monotonic(), machine_cpu()
        s1 = sum(process_cpu(pid) for pid in server_pids)
        for p in procs:
            p.join()
        msgs = sum(r[0] for r in res)
        client = sum(r[1] for r in res)
        best = {"rate": msgs / (max(r[2] for r in res) - t0), "client_us": client / msgs * 1e6,
                "server_us": ((m1 - m0) - client) / msgs * 1e6,
                "server_process_us": (s1 - s0) / msgs * 1e6 if server_pids else None,
                "machine_cores_busy": (m1 - m0) / (t1 - t0)}
    return best


def show(name, mode, r):
    extra = "" if r["server_process_us"] is None else ", server processes alone %.0f us" % r["server_process_us"]
    print("%s %s: %.0f msg/s; CPU per message: client %.0f us, server %.0f us (machine minus client%s); "
          "%.2f cores busy" % (name, mode, r["rate"], r["client_us"], r["server_us"], extra, r["machine_cores_busy"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["pop3", "imap", "both"], default="both")
    ap.add_argument("--mailroom-only", action="store_true", help="skip Dovecot (to compare two Mailroom builds)")
    ap.add_argument("--two-processes", action="store_true", help="also measure two server processes on one database")
    a = ap.parse_args()
    modes = ["pop3", "imap"] if a.mode == "both" else [a.mode]
    ref = {}
    if not a.mailroom_only:
        reference("stop-reference.sh", ANCHOR_WIPE="1")
        reference("start-reference.sh")
        try:
            load(10025)
            while maildir_count_all() < USERS * 100:
                subprocess.run(["sleep", "0.2"])
            for mode in modes:
                ref[mode] = read_run(mode, 10110 if mode == "pop3" else 10143, "secret")
        finally:
            reference("stop-reference.sh", ANCHOR_WIPE="1")
    mine, two, again = {}, {}, {}
    pw = "bench-Passw0rd"
    s = Server().start()
    try:
        for i in range(1, USERS + 1):
            s.create_account("user%d@example.test" % i, pw)
        load(s.ports["smtp"])
        for mode in modes:
            mine[mode] = read_run(mode, s.ports[mode], pw, [s.proc.pid])
        if a.two_processes:
            s2 = Server(data_dir=s.data_dir, extra_env={"MAILROOM_PUBLIC_HTTP_PORT": "off",
                                                        "MAILROOM_PUBLIC_HTTPS_PORT": "off"}).start()
            try:
                for mode in modes:
                    two[mode] = read_run(mode, [s.ports[mode], s2.ports[mode]], pw, [s.proc.pid, s2.proc.pid])
            finally:
                s2.stop()
            for mode in modes:
                again[mode] = read_run(mode, s.ports[mode], pw, [s.proc.pid])
    finally:
        s.stop()
    cores = os.cpu_count()
    for mode in modes:
        if a.two_processes:
            show("Mailroom, one process      ", mode, mine[mode])
            show("Mailroom, two processes    ", mode, two[mode])
            show("Mailroom, one process again", mode, again[mode])
        if a.mailroom_only:
            if not a.two_processes:
                show("Mailroom", mode, mine[mode])
            continue
        show("Dovecot ", mode, ref[mode])
        if not a.two_processes:
            show("Mailroom", mode, mine[mode])
        bound = cores / (mine[mode]["client_us"] / 1e6)
        print("%s: with a server that cost nothing, %d cores / %.0f us of client CPU = %.0f msg/s at most, "
              "%.2fx Dovecot's %.0f" % (mode, cores, mine[mode]["client_us"], bound, bound / ref[mode]["rate"],
                                        ref[mode]["rate"]))
        if a.two_processes:
            print("%s ratios to Dovecot: one process %.2f, two processes %.2f, one process again %.2f"
                  % (mode, mine[mode]["rate"] / ref[mode]["rate"], two[mode]["rate"] / ref[mode]["rate"],
                     again[mode]["rate"] / ref[mode]["rate"]))


if __name__ == "__main__":
    main()
