"""What the first cell of every lesson needs: a folder for the lesson's pictures, and ``show``.

    pictures = Pictures("lesson1")   # prints: pictures are written to /tmp/lesson1-k2j4...
    OUT, show = pictures.folder, pictures.show
    show(viz.draw_graph(L), "graph")

The folder is a new temporary one, never inside the repository. In Jupyter ``show`` displays a
picture inline; as a plain script (``python -m notebooks.lesson_1_chain_rule``) it saves the
picture into the folder and prints ``[picture: path]``.

Jupyter starts a lesson's kernel in this folder, where ``from lesson_tools import Pictures`` finds
this file; a lesson run as ``python -m notebooks.lesson_...`` from the repository finds it as
``notebooks.lesson_tools``.
"""

import sys
import tempfile
from pathlib import Path

import viz


class Pictures:
    """A lesson's pictures: the folder they are written to, and ``show``."""

    def __init__(self, lesson):
        self.folder = Path(tempfile.mkdtemp(prefix=f"{lesson}-"))
        print("pictures are written to", self.folder)

    def show(self, picture, name="picture"):
        """Show a picture inline in Jupyter; as a plain script, save it into the folder and say where.

        picture  a Path of a PNG or SVG, a viz.Frame, a viz.Player or a graphviz graph
        name     the file name (without suffix) it is saved under as a plain script
        """
        if "ipykernel" in sys.modules:  # in Jupyter
            from IPython.display import Image, display

            display(Image(filename=str(picture)) if isinstance(picture, Path) else picture)
        elif isinstance(picture, Path):
            print(f"[picture: {picture}]")
        elif isinstance(picture, viz.Frame):
            print(f"[picture: {picture.render(self.folder / (name + '.svg'))}]")
        elif isinstance(picture, viz.Player):  # in Jupyter it plays inline; here it becomes a page
            print(f"[picture: {picture.save(self.folder / name / 'index.html')}]")
        else:  # a graphviz graph
            print(f"[picture: {picture.render(self.folder / name, format='svg', cleanup=True)}]")
