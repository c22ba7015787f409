"""python -m viz: see viz/cli.py."""

import os
import sys

EXIT_FAILED = 1  # as viz.cli: the report of what was written could not be printed
EXIT_NO_GRAPHVIZ = 3  # as viz.cli: Graphviz missing


def run() -> int:
    try:
        from .cli import main
    except ModuleNotFoundError as error:
        if error.name != "graphviz":
            raise
        print('error: python -m viz needs the graphviz package: pip install "tinygrad_edu[viz]"', file=sys.stderr)
        return EXIT_NO_GRAPHVIZ
    try:
        try:
            return main()
        finally:
            sys.stdout.flush()
    except BrokenPipeError:  # e.g. python -m viz --help | head -1: the reader left, so stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as error:  # e.g. python -m viz ... > /dev/full: the files are written, the report is not
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that exiting does not try again
        print(f"python -m viz: error: could not write to standard output: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(run())
