"""Write the engine track's student templates from the reference answers beside this file.

    python teacher/make_engine_templates.py

Each ``# BEGIN ANSWER name`` ... ``# END ANSWER`` block of teacher/engine_track/*.py becomes
``raise NotImplementedError("name is not written yet")`` in
tinygrad_edu/exercises/engine_track/templates/ (the files ``start --track engine`` copies).
Run it after changing a reference file; tests/test_engine_track.py checks the two agree.
"""

from pathlib import Path

from tinygrad_edu.exercises.engine_track.workspace import FILES, TEMPLATES, strip_answers
from tinygrad_edu.io.atomic import atomic_file

REFERENCE = Path(__file__).parent / "engine_track"


def main() -> None:
    for file in FILES:
        with atomic_file(TEMPLATES / file) as handle:
            handle.write(strip_answers((REFERENCE / file).read_text(encoding="utf-8")))
        print(f"wrote {TEMPLATES / file}")


if __name__ == "__main__":
    main()
