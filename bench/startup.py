#!/usr/bin/env python3
"""Start-up time: from exec of `procure web` to its first 200 on /__lbheartbeat__.

Usage: bench/startup.py BINARY [RUNS]   (runs in a temp folder on SQLite; the first run also
creates and migrates the database, the others start on an existing one)."""
import os, socket, statistics, subprocess, sys, tempfile, time

def first_ok(port, deadline):
    req = b"GET /__lbheartbeat__ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(req)
                if s.recv(16).startswith(b"HTTP/1.1 200"):
                    return True
        except OSError:
            time.sleep(0.0005)
    return False

def main():
    binary = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    port = 18765
    with tempfile.TemporaryDirectory() as d:
        times = []
        for i in range(runs):
            env = {"PATH": os.environ["PATH"], "PORT": str(port), "DATA_DIR": d}
            t0 = time.monotonic()
            p = subprocess.Popen([binary, "web"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ok = first_ok(port, t0 + 10)
            elapsed = (time.monotonic() - t0) * 1000
            p.terminate(); p.wait()
            if not ok:
                sys.exit(f"run {i}: no 200 within 10 s")
            times.append(elapsed)
        first, rest = times[0], times[1:]
        print(f"first start (creates and migrates the database): {first:.1f} ms")
        print(f"later starts: median {statistics.median(rest):.1f} ms, min {min(rest):.1f} ms, max {max(rest):.1f} ms over {len(rest)} runs")

main()
