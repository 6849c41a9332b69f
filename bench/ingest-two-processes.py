#!/usr/bin/env python3
"""What a second server process would give SMTP ingest, measured before it is built.

    python3 bench/ingest-two-processes.py [--rounds N] [--no-reference]

Issue 12 asks, where one JavaScript thread stands in the way, to measure what moving work off it
would give before building it. Round 5 did that for reads (bench/read-cpu-split.py
--two-processes); this is the same for ingest. The load is perf_smtp.py's: Postfix's smtp-source,
2,000 x 1 KB to one recipient over 20 sessions. Per round, on fresh data directories:

- the reference (Postfix -> LMTP -> Dovecot, ../shared/reference/start-reference.sh);
- one Mailroom process, 20 sessions;
- two Mailroom processes on one data directory (the second `mailroom serve` with ports of its
  own), two smtp-source runs of 10 sessions x 1,000 side by side, one per process. Both write the
  same mailbox, so their commit groups take turns on SQLite's one write lock.

For Mailroom it prints msg/s (from the first connection to the last 250) and the server CPU per
message (the processes' own /proc/PID/stat). Every message is counted over REST afterwards.
Run as root, like the reference scripts; loopback only.
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "..", "shared", "reference")
sys.path.insert(0, REFERENCE)
from mr import Server, check  # noqa: E402
from perf_smtp import MSGS, reference, run_reference, smtp_source, stored  # noqa: E402

RCPT = "user1@example.test"


def process_cpu(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingest(servers):
    """smtp-source split evenly over the servers, all at once; msg/s and server ms per message."""
    per = MSGS // len(servers)
    sessions = 20 // len(servers)
    cpu0 = sum(process_cpu(s.proc.pid) for s in servers)
    subprocess.run(["sync"])
    t0 = time.monotonic()
    procs = [subprocess.Popen(smtp_source(s.ports["smtp"], RCPT, sessions, per), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for s in servers]
    for p in procs:
        _, err = p.communicate(timeout=300)
        check(p.returncode == 0, "smtp-source: " + err[-200:])
    dt = time.monotonic() - t0
    cpu = sum(process_cpu(s.proc.pid) for s in servers) - cpu0
    got = stored(servers[0], RCPT)
    check(got == per * len(servers), "stored %d of %d acknowledged messages" % (got, per * len(servers)))
    return per * len(servers) / dt, cpu * 1000 / (per * len(servers))


def one_process():
    s = Server().start()
    try:
        s.create_account(RCPT)
        return ingest([s])
    finally:
        s.stop()


def two_processes():
    s = Server().start()
    try:
        s.create_account(RCPT)
        s2 = Server(data_dir=s.data_dir, extra_env={"MAILROOM_PUBLIC_HTTP_PORT": "off",
                                                    "MAILROOM_PUBLIC_HTTPS_PORT": "off"}).start()
        try:
            return ingest([s, s2])
        finally:
            s2.stop()
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-reference", action="store_true")
    a = ap.parse_args()
    try:
        for i in range(a.rounds):
            ref = None if a.no_reference else run_reference()
            one, one_cpu = one_process()
            two, two_cpu = two_processes()
            line = "round %d: one process %.0f msg/s (server %.2f ms/msg), two processes %.0f msg/s (%.2f ms/msg)" % (
                i + 1, one, one_cpu, two, two_cpu)
            if ref:
                line += "; reference %.0f msg/s; ratios one %.2f, two %.2f" % (ref, one / ref, two / ref)
            print(line, flush=True)
    finally:
        if not a.no_reference:
            reference("stop-reference.sh")
    return 0


if __name__ == "__main__":
    sys.exit(main())
