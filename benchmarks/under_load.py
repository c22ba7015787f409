"""A default training epoch beside one busy process, against the same epoch on a quiet machine.

    python benchmarks/under_load.py              # 2 rounds: quiet, busy, quiet, busy
    python benchmarks/under_load.py --rounds 3 --extra --threads 2

Each run is ``python -m mnist.train --epochs 1`` with its defaults (the automatic BLAS thread
choice unless ``--extra`` passes more flags), in a child process; its epoch time is read from
metrics.json (train_seconds), so loading the data does not count. "Busy" means one other
process spinning on a core (a Python ``while True`` loop) for the whole epoch: what a
classroom server or a laptop with a browser open looks like. Quiet and busy runs alternate, so
a slow moment of a shared machine hits both. Printed: the median epoch time of each and the
slowdown busy / quiet (goal ≤ 1.5x).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def epoch_seconds(extra: list[str]) -> tuple[float, str]:
    """Train one default epoch in a child; its train_seconds and the first line it printed."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "mnist.train", "--epochs", "1", "--no-progress", "--out", folder + "/run"]
        result = subprocess.run(command + extra, cwd=REPO_ROOT, capture_output=True, text=True, env=os.environ)
        if result.returncode != 0:
            raise SystemExit(f"training failed: {result.stderr.strip()}")
        metrics = json.loads((Path(folder) / "run" / "metrics.json").read_text())
    first_line = result.stdout.splitlines()[0] if result.stdout else ""
    return float(metrics["train_seconds"]), first_line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="quiet/busy pairs (default 2)")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more flags for mnist.train")
    args = parser.parse_args()
    quiet, busy = [], []
    for round_number in range(args.rounds):
        seconds, first_line = epoch_seconds(args.extra)
        quiet.append(seconds)
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            busy.append(epoch_seconds(args.extra)[0])
        finally:
            spinner.kill()
            spinner.wait()
        if round_number == 0:
            print(f"first line of the run: {first_line}")
        print(f"round {round_number + 1}/{args.rounds}: quiet {quiet[-1]:.1f} s, busy {busy[-1]:.1f} s")
    quiet_median, busy_median = statistics.median(quiet), statistics.median(busy)
    ratio = busy_median / quiet_median
    print(f"\ndefault epoch: quiet {quiet_median:.1f} s, beside one busy process {busy_median:.1f} s")
    print(f"slowdown busy / quiet = {ratio:.2f}x (goal <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
