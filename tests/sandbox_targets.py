"""Functions that tests/test_sandbox.py runs in a sandbox: one per way a student's code can end."""

import os
import sys
import time


def add(a, b):
    print("adding")
    return {"sum": a + b}


def loop():
    while True:
        pass


def sleep():
    time.sleep(1000)


def allocate():
    return len(bytearray(4 << 30))


def exit_zero():
    sys.exit(0)


def underscore_exit():
    os._exit(0)


def interrupt():
    raise KeyboardInterrupt


def fail():
    raise ValueError("a student's mistake")


def not_json():
    return object()


def loop_with_pid(path):
    with open(path, "w") as file:
        file.write(str(os.getpid()))
    while True:
        pass
