"""python -m viz: see viz/cli.py."""

import os
import sys

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
        return 1


if __name__ == "__main__":
    sys.exit(run())
