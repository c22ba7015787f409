"""The engine track: the student writes the engine itself, and trains a network on it.

    python -m tinygrad_edu.exercises start DIR --track engine   # DIR/value.py, DIR/tensor.py, DIR/README.md
    python -m tinygrad_edu.exercises check DIR                  # the eight checks below
    python -m tinygrad_edu.exercises capstone DIR               # spirals, then MNIST, against the library

Part 1, value.py: a scalar Value (micrograd-sized: + * ** neg sub div tanh exp relu). Each op
keeps a ``local_backward``: ∂L/∂out in, one ∂L/∂parent per parent out. The student writes four
of them (**, tanh, exp, relu), ``topological_order(root)`` and ``Value.backward()``.
Part 2, tensor.py: the same over NumPy arrays (broadcasting, @, sum, relu, log_softmax, a
cross-entropy), with ``unbroadcast``, four local derivatives (*, @, sum, log_softmax), the walk
again, and ``SGD.zero_grad``/``SGD.step``.

    workspace.py   start (copies templates/), load; strip_answers makes the templates from the
                   reference answers in the repository's teacher/engine_track/ (not installed)
    observe.py     in the sandbox: the student's code run on each check's graphs and inputs, and
                   only what it did sent back, as plain data (arrays, counts, orders, exceptions)
    checks.py      the checks, in order: each judges those observations in the grader's process
    op_checks.py   local derivatives against central differences, and each op's usual mistakes
    walks.py       topological_order and backward() judged on graphs made to show the walk's
                   mistakes: no visited set, recursion, = for +=, wrong order, visited twice
    grading.py     each check's observing half in a sandboxed process (sandbox.py), its verdict
                   decided here; printed as the ops track prints
    capstone.py    the same MLP trained on the student's engine and on the library's
    cli.py         start, check and capstone for __main__
"""
