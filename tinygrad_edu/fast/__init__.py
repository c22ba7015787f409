"""The fast path, beside the textbook engine: what makes a plain training step cost about what
NumPy written by hand does, kept out of the code a reader follows first (READING.md).

  lean.py            ``Function.apply`` when nothing will be differentiated: no Context at all
  array_backward.py  first-order backward formulas on NumPy arrays, one per hot op, used by the
                     walk only when the gradient's own graph is not recorded
  collector.py       Python's cyclic garbage collector kept off big graphs

Each is an optimisation only: switch them off and every gradient is the same, computed by the
Tensor formulas of ops/ (tests/test_fast_path.py checks each twin against its formula).
"""
