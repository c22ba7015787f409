"""Pictures of the computation graph and of backpropagation, step by step.

    import viz
    viz.draw_graph(loss)                       # the graph, as a graphviz.Digraph
    viz.player(loss)                           # the backprop player, inline in Jupyter
    frames = viz.backprop_frames(loss)         # one picture per backward step
    viz.export_stepper(frames, "out")          # numbered SVGs + index.html to step through
    viz.forward_frames(f, wrt=x)               # forward mode: tangents flow with the values

Command line: ``python -m viz "tanh(a*b + c) * a" --values a=2,b=-3,c=10 --out out``.
Everything reads the graph through the engine's own walk (``tinygrad_edu.backward_steps``),
so the pictures show exactly what the engine does. Needs the ``graphviz`` Python package;
rendering to SVG/PNG also needs Graphviz's ``dot`` program.
"""

from typing import Any

try:
    from .backprop import Frame, backprop_frames
    from .forward import forward_frames, forward_player
    from .graph import draw_graph
    from .modules import ModuleTrace, trace_modules
    from .player import Player, player
    from .render import Digraph, GraphvizNotFoundError
    from .stepper import export_stepper
except ModuleNotFoundError as missing:
    # Without the graphviz package, viz.plots (matplotlib only) still imports; the pictures say what to install.
    if missing.name != "graphviz":
        raise
    VIZ_EXTRA_HINT = 'drawing graphs needs the graphviz package: pip install "tinygrad_edu[viz]"'

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise ModuleNotFoundError(f"viz.{name}: {VIZ_EXTRA_HINT}", name="graphviz")


__all__ = [
    "Digraph",
    "Frame",
    "GraphvizNotFoundError",
    "ModuleTrace",
    "Player",
    "backprop_frames",
    "draw_graph",
    "export_stepper",
    "forward_frames",
    "forward_player",
    "player",
    "trace_modules",
]
