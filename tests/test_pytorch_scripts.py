"""The PyTorch-style scripts in examples/pytorch_scripts run on tinygrad_edu with only their import
lines swapped (swap_imports.py), and print the numbers PyTorch printed.

Each script's output under PyTorch 2.13 is kept in expected_output/<script>.txt. Under
tinygrad_edu the output must match it line by line: the same text, and every number within
float32 rounding (plus half a unit of the last digit printed). Where torch is installed, the
scripts also run unchanged under PyTorch and must still match the kept output.
"""

from __future__ import annotations

import importlib.util
import math
import re
import warnings
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[1] / "examples" / "pytorch_scripts"
SCRIPTS = sorted(path for path in FOLDER.glob("*.py") if path.name != "swap_imports.py")
NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?")

_spec = importlib.util.spec_from_file_location("swap_imports", FOLDER / "swap_imports.py")
assert _spec is not None and _spec.loader is not None, "examples/pytorch_scripts/swap_imports.py is missing"
swap_imports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(swap_imports)


def half_unit_of_last_digit(text: str) -> float:
    """0.5 · 10^(−decimals) of a printed number: "0.0432" -> 0.00005, "2.5e-06" -> 0.05e-06."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def differences(got: str, expected: str) -> list[str]:
    """Lines whose text differs, or whose numbers differ by more than float32 rounding."""
    got_lines, expected_lines = got.splitlines(), expected.splitlines()
    if len(got_lines) != len(expected_lines):
        return [f"{len(got_lines)} lines printed, {len(expected_lines)} expected"]
    problems = []
    for number, (line, want) in enumerate(zip(got_lines, expected_lines), start=1):
        if NUMBER.sub("#", line) != NUMBER.sub("#", want):
            problems.append(f"line {number}: {line!r} != {want!r}")
            continue
        for a_text, b_text in zip(NUMBER.findall(line), NUMBER.findall(want)):
            a, b = float(a_text), float(b_text)
            tolerance = 1e-4 * max(abs(a), abs(b)) + 1e-6
            tolerance += 1.01 * max(half_unit_of_last_digit(a_text), half_unit_of_last_digit(b_text))
            if not math.isclose(a, b, rel_tol=0, abs_tol=tolerance):
                problems.append(f"line {number}: {a_text} != {b_text} in {line!r}")
    return problems


def test_the_swap_changes_only_import_lines():
    source = (
        "import torch\n"
        "import torch.nn as nn\n"
        "import torch.nn.functional as F\n"
        "from torch import optim\n"
        "from torch.utils.data import DataLoader, TensorDataset\n"
        "import numpy as np\n"
        "x = torch.tensor([1.0])  # import torch in a comment stays\n"
        "    import torch\n"
    )
    assert swap_imports.swap_imports(source) == (
        "import tinygrad_edu as torch\n"
        "import tinygrad_edu.nn as nn\n"
        "import tinygrad_edu.nn.functional as F\n"
        "from tinygrad_edu import optim\n"
        "from tinygrad_edu.utils.data import DataLoader, TensorDataset\n"
        "import numpy as np\n"
        "x = torch.tensor([1.0])  # import torch in a comment stays\n"
        "    import tinygrad_edu as torch\n"
    )


def test_differences_catch_a_changed_number_or_word():
    assert differences("loss 0.5000 [1.0, 2.0]\n", "loss 0.5000 [1.0, 2.0]\n") == []
    assert differences("loss 0.50004\n", "loss 0.50001\n") == []  # float32 rounding and the last digit
    assert differences("loss 0.5003\n", "loss 0.5000\n") != []
    assert differences("-0.0000\n", "0.0000\n") == []
    assert differences("True\n", "False\n") != []
    assert differences("a\nb\n", "a\n") != []


def test_every_script_has_its_recorded_output():
    assert len(SCRIPTS) >= 8
    for script in SCRIPTS:
        assert (FOLDER / "expected_output" / f"{script.stem}.txt").is_file(), script.name


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_script_runs_on_tinygrad_edu_with_only_the_imports_swapped(script):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyTorch printed no warning for these scripts; neither may we
        printed = swap_imports.run_script(script)
    expected = (FOLDER / "expected_output" / f"{script.stem}.txt").read_text(encoding="utf-8")
    assert differences(printed, expected) == []


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_script_under_pytorch_prints_the_recorded_output(script):
    pytest.importorskip("torch")
    printed = swap_imports.run_script(script, swap=False)
    expected = (FOLDER / "expected_output" / f"{script.stem}.txt").read_text(encoding="utf-8")
    assert differences(printed, expected) == []


def test_command_line_refuses_a_missing_script(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["swap_imports.py", "no_such_script.py"])
    with pytest.raises(SystemExit) as exit_info:
        swap_imports.main()
    assert exit_info.value.code == 2
    assert "script 'no_such_script.py' is not a file" in capsys.readouterr().err
