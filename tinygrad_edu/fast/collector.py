"""Python's cyclic garbage collector, kept off big graphs.

A graph has no reference cycles (a Context links to its inputs, never to its output), so
reference counting alone frees it. Python's cyclic collector does not know that: every time
the number of long-lived objects has grown by a quarter, it rescans all of them, and a graph
of n ops is about 4n of them (two Tensors, a Context, its tuple of parents). Those rescans
grow with the graph and hit memory that is no longer in any cache: on a 1,000,000-op chain
they took more than twice as long as building the graph itself. So the engine
  - pauses the collector while backward() or grad() runs (core/autograd.py, _run_to_the_end:
    nothing they make needs it);
  - moves what exists to the collector's permanent generation (gc.freeze) after every
    FREEZE_AFTER_NODES graph nodes recorded without a backward() in between
    (``count_node()``, called by Function.apply), so later rescans skip the graph built so far;
    the backward() that follows gives them back (``backward_done()``: gc.unfreeze). Frozen
    objects are still freed by reference counting as usual; only garbage that is part of a
    reference cycle waits for that backward() to be collected.
Ordinary training (a graph of tens of ops per step, then backward) never freezes anything.
"""

from __future__ import annotations

import gc

FREEZE_AFTER_NODES = 10_000
_nodes_since_backward = 0  # graph nodes recorded since the last backward()
_froze = False  # did the engine call gc.freeze() since the last backward()?


def count_node() -> None:
    """Called by Function.apply for every graph node it records."""
    global _nodes_since_backward, _froze
    _nodes_since_backward += 1
    if _nodes_since_backward >= FREEZE_AFTER_NODES:
        _nodes_since_backward = 0
        if gc.isenabled():
            gc.freeze()
            _froze = True


def backward_done() -> None:
    """The end of every walk: count nodes afresh, and give back what was frozen."""
    global _nodes_since_backward, _froze
    _nodes_since_backward = 0
    if _froze:
        gc.unfreeze()
        _froze = False
