"""Make the screenshots under docs/ again, from the current code: players at 1400x900 in headless Chromium.

    python docs/screenshots.py            # needs Graphviz's dot, Playwright and /usr/bin/chromium
    python docs/screenshots.py --list     # what each picture shows, and the smallest text on it

Each picture is a program of the expression language (`python -m viz`), opened at one step. The
worksheet page is drawn from its PDF with pdftoppm (Debian's poppler-utils) where it is installed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
NETWORK = (
    "h1 = tanh(w11*x1 + w12*x2 + b1); h2 = tanh(w21*x1 + w22*x2 + b2); yhat = v1*h1 + v2*h2 + c; E = (yhat - t)**2"
)
NETWORK_VALUES = "w11=0.5,w12=-0.3,w21=0.8,w22=0.2,b1=0.1,b2=-0.3,v1=1.2,v2=-0.7,c=0.05,x1=1,x2=-2,t=1"
THIRTY = (
    "h1 = tanh(w11*x1 + w12*x2 + w13*x3 + b1); h2 = tanh(w21*x1 + w22*x2 + w23*x3 + b2); "
    "h3 = tanh(w31*x1 + w32*x2 + w33*x3 + b3); yhat = v1*h1 + v2*h2 + v3*h3 + c; E = (yhat - t)**2 / 2"
)
THIRTY_VALUES = (
    "w11=0.5,w12=-0.3,w13=0.2,w21=0.8,w22=0.2,w23=-0.6,w31=0.1,w32=0.4,w33=0.9,b1=0.1,b2=-0.4,b3=0.2,"
    "v1=1.2,v2=-0.7,v3=0.5,c=0.05,x1=1,x2=-2,x3=0.5,t=1"
)

# file name: (program, values, extra flags, step, press P for predict mode, what it shows)
PLAYERS = {
    "player.png": ("tanh(a*b + c) * a", "a=2,b=-3,c=10", [], 4, False, "a·b sends back; a's two contributions"),
    "player-neuron.png": (
        "z = x1*w1 + x2*w2 + b; p = sigmoid(z); L = -(y*log(p) + (1-y)*log(1-p))",
        "x1=1,x2=-2,w1=0.5,w2=0.25,b=0.1,y=1",
        ["--constants", "x1,x2,y"],
        5,
        False,
        "one neuron with the log-loss",
    ),
    "player-matmul.png": (
        "L = sum(tanh(x @ W))",
        "x=[[1,2,-1],[0.5,-1,2]],W=[[0.1,-0.2],[0.3,0.4],[-0.5,0.2]]",
        ["--constants", "x"],
        3,
        False,
        "the matmul step",
    ),
    "player-network-2-2-1.png": (NETWORK, NETWORK_VALUES, ["--constants", "x1,x2,t"], 7, False, "2-2-1 net"),
    "player-30-ops.png": (THIRTY, THIRTY_VALUES, ["--constants", "x1,x2,x3,t"], 20, False, "3-3-1 net, 30 ops"),
    "player-predict-question.png": (
        NETWORK,
        NETWORK_VALUES,
        ["--constants", "x1,x2,t"],
        11,
        True,
        "predict mode, the first question",
    ),
}


def smallest_text(page) -> float:
    """The smallest rendered height (px) of any text in the picture and the explanation."""
    return page.evaluate(
        """() => {
        let smallest = Infinity;
        for (const element of document.querySelectorAll('.picture text, #panel div, #program code')) {
            const box = element.getBoundingClientRect();
            const style = getComputedStyle(element);
            if (box.width > 0 && box.height > 0 && style.display !== 'none' && style.visibility !== 'hidden') {
                const size = element.tagName === 'text' ? box.height : parseFloat(style.fontSize);
                smallest = Math.min(smallest, size);
            }
        }
        return smallest;
    }"""
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print what each picture shows and stop")
    arguments = parser.parse_args()
    if arguments.list:
        for name, (program, *_rest, what) in PLAYERS.items():
            print(f"{name:30} {what}: {program}")
        return 0
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for name, (program, values, flags, step, predict, what) in PLAYERS.items():
            out = Path(folder) / name
            command = [sys.executable, "-m", "viz", program, "--values", values, *flags, "--out", str(out)]
            subprocess.run(command, check=True, capture_output=True)
            page.goto((out / "index.html").as_uri() + f"#{step}")
            if predict:
                page.keyboard.press("p")
            page.wait_for_timeout(300)
            page.screenshot(path=str(DOCS / name))
            print(f"{name:30} {what}: smallest text {smallest_text(page):.1f} px")
        browser.close()
        sheet = Path(folder) / "worksheet"
        command = [sys.executable, "-m", "viz", NETWORK, "--values", NETWORK_VALUES, "--constants", "x1,x2,t"]
        subprocess.run([*command, "--worksheet", "--out", str(sheet)], check=True, capture_output=True)
        if shutil.which("pdftoppm"):
            target = DOCS / "worksheet-network-2-2-1"
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "120",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-singlefile",
                    str(sheet / "worksheet.pdf"),
                    str(target),
                ],
                check=True,
            )
            print(f"{target.name}.png: page 1 of the worksheet at 120 dpi")
        else:
            print("worksheet page not made: pdftoppm is not installed (apt install poppler-utils)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
