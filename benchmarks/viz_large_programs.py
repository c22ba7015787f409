"""python -m viz on the largest programs its language allows: time, memory and output size.

    python benchmarks/viz_large_programs.py

Each program runs ``python -m viz PROGRAM --values ... --out TMP`` in a subprocess; printed are the
seconds it took, the CPU seconds it used (Graphviz included), its peak memory and what it wrote.

    sum-200       x0 + x1 + ... + x199          (199 ops: the language allows 200)
    tanh-198      sum(tanh(...tanh(x)...)), x a 25×40 matrix (199 ops, 1,000 numbers)
    fan-out-200   a*a*...*a                     (199 ops, one tensor used 200 times)
    softmax-10    --second-order on a 10-deep softmax chain (52 ops; the limit is 60)

goal: each under 10 s on 2 cores with the machine loaded, output growing with the steps
(a few MB for 200 ops), never steps × nodes.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def nested(function: str, inner: str, depth: int) -> str:
    for _ in range(depth):
        inner = f"{function}({inner})"
    return inner


MATRIX = "[" + ",".join("[" + ",".join(str((i * 40 + j) % 5 / 10) for j in range(40)) + "]" for i in range(25)) + "]"
PROGRAMS = {
    "sum-200": [" + ".join(f"x{i}" for i in range(200)), "--values", ",".join(f"x{i}={i % 7 - 3}" for i in range(200))],
    "tanh-198": [f"sum({nested('tanh', 'x', 198)})", "--values", f"x={MATRIX}"],
    "fan-out-200": ["*".join(["a"] * 200), "--values", "a=1.001"],
    "softmax-10": [f"sum({nested('softmax', 'x', 10)}*w)", "--values", "x=[1,2,3],w=[1,-1,2]", "--second-order"],
}


def main() -> int:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}
    print(f"{'program':<12} {'seconds':>8} {'CPU s':>7} {'peak MiB':>9} {'written MB':>11}")
    for name, arguments in PROGRAMS.items():
        with tempfile.TemporaryDirectory() as out:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "viz", *arguments, "--out", out], env=env, capture_output=True, text=True
            )
            seconds = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            written = sum(path.stat().st_size for path in Path(out).rglob("*") if path.is_file()) / 1e6
            status = "" if result.returncode == 0 else f"  exit {result.returncode}: {result.stderr.strip()[:80]}"
            print(f"{name:<12} {seconds:8.2f} {cpu:7.2f} {after.ru_maxrss / 1024:9.0f} {written:11.2f}{status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
