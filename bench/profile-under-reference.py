#!/usr/bin/env python3
"""A CPU profile of Mailroom under the side-by-side scripts' own load and clients.

    python3 bench/profile-under-reference.py pop3|imap|smtp [--sessions 20] [--messages N] [--out DIR]

Runs the server from this checkout's source (`bun --cpu-prof-md src/runtime/bun.ts serve`, started
through ../shared/reference/mr.py on free loopback ports and a throwaway data dir) and drives it with
what ../shared/reference/perf_read.py and perf_smtp.py use: for pop3/imap, 50 users x 100 x 1 KB
delivered by smtp-source to a server that is NOT profiled, then a profiled server on the same data
read by bench/read_bench.py (10 clients, sessions logged in before the clock); for smtp, smtp-source
sending 2,000 x 1 KB (500 with --sessions 1) to one user. Prints the read or ingest rate and the
server's CPU time per message (from /proc), and leaves the markdown profile (grep-friendly: "Hot
Functions", "Call Tree") in --out. Loopback only; needs smtp-source (Debian postfix package).
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)
REFERENCE = os.path.join(CHECKOUT, "..", "shared", "reference")
sys.path.insert(0, REFERENCE)
from mr import PORT_VARS, Server  # noqa: E402

PASSWORD = "bench-Passw0rd"


def wrapper(out, profile):
    path = os.path.join(out, "mailroom-profiled.sh" if profile else "mailroom-source.sh")
    flags = "--cpu-prof-md --cpu-prof-dir=%s " % out if profile else ""
    with open(path, "w") as f:
        f.write('#!/bin/sh\nexec bun %s%s/src/runtime/bun.ts "$@"\n' % (flags, CHECKOUT))
    os.chmod(path, 0o755)
    return path


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def smtp_source(port, rcpt, sessions, messages):
    subprocess.run(["smtp-source", "-d", "-s", str(sessions), "-m", str(messages), "-l", "1000",
                    "-f", "bench@example.test", "-t", rcpt, "-M", "bench.example.test",
                    "127.0.0.1:%d" % port], check=True, capture_output=True, timeout=600)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["pop3", "imap", "smtp"])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--messages", type=int, help="smtp: messages to send (default 2,000, 500 with one session); "
                    "more of them dilute start-up and JIT warm-up in the profile")
    ap.add_argument("--out", default=tempfile.mkdtemp(prefix="mailroom-profile-"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    if a.mode == "smtp":
        s = Server(exe=wrapper(a.out, True), cwd=CHECKOUT).start(timeout=60)
        try:
            s.create_account("user1@example.test", PASSWORD)
            messages = a.messages or (2000 if a.sessions > 1 else 500)
            before = cpu_seconds(s.proc.pid)
            import time
            t0 = time.monotonic()
            smtp_source(s.ports["smtp"], "user1@example.test", a.sessions, messages)
            elapsed = time.monotonic() - t0
            cpu = cpu_seconds(s.proc.pid) - before
            print("smtp %d sessions: %.0f msg/s, server CPU %.2f ms per message"
                  % (a.sessions, messages / elapsed, cpu / messages * 1000))
        finally:
            s.stop()
    else:
        # The load is not profiled: a plain server fills the database, a profiled one reads it.
        load = Server(exe=wrapper(a.out, False), cwd=CHECKOUT).start(timeout=60)
        try:
            for i in range(1, 51):
                load.create_account("user%d@example.test" % i, PASSWORD)
            for i in range(1, 51):
                smtp_source(load.ports["smtp"], "user%d@example.test" % i, 5, 100)
        finally:
            load.stop()
        s = Server(exe=wrapper(a.out, True), cwd=CHECKOUT, data_dir=load.data_dir)
        s.ports = load.ports
        for name, var in PORT_VARS.items():
            s.env[var] = str(s.ports[name])
        s.start(timeout=60)
        try:
            before = cpu_seconds(s.proc.pid)
            r = subprocess.run([sys.executable, os.path.join(REFERENCE, "bench", "read_bench.py"), "--mode", a.mode,
                                "--port", str(s.ports[a.mode]), "--password", PASSWORD, "--users", "50",
                                "--clients", "10", "--runs", "2"], capture_output=True, text=True, timeout=900)
            cpu = cpu_seconds(s.proc.pid) - before
            print(r.stdout.strip() or r.stderr[-300:])
            # Warm-up plus two runs read 15,000 messages; 150 logins are in the CPU figure too.
            print("%s: server CPU %.0f us per message read (logins included)" % (a.mode, cpu / 15000 * 1e6))
        finally:
            s.stop()
    print("profile in", a.out)


if __name__ == "__main__":
    main()
