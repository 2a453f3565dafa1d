"""Sliders wired to figures, built so that every state can be read without a kernel.

:func:`live_figure` shows a row of controls and a figure. The figure is an ordinary
display output, a PNG rendered here (no matplotlib backend involved), that each slider
move replaces in place (``update_display_data``). So the stored notebook, GitHub and an
HTML export show the figure at its last values, while JupyterLab redraws it live.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import numpy as np
from IPython.display import Image, display
from matplotlib.figure import Figure

from .plotting import png_bytes

__all__ = ["LiveFigure", "choice", "int_slider", "live_figure", "log_slider", "slider"]

Draw = Callable[..., Figure]  # draw(**values) -> a new Figure


def log_slider(
    description: str, value: float, low: float, high: float, steps_per_decade: int = 10
) -> W.FloatLogSlider:
    """A slider on a log scale from ``low`` to ``high`` (learning rates, epsilon)."""
    return W.FloatLogSlider(
        value=value,
        base=10,
        min=np.log10(low),
        max=np.log10(high),
        step=1 / steps_per_decade,
        readout_format=".3g",
        **_slider_look(description),
    )


def slider(description: str, value: float, low: float, high: float, step: float) -> W.FloatSlider:
    """A linear slider (betas, momentum, start coordinates)."""
    return W.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        readout_format=".3g",
        **_slider_look(description),
    )


def int_slider(description: str, value: int, low: int, high: int, step: int = 1) -> W.IntSlider:
    """A slider of whole numbers (steps, epochs)."""
    return W.IntSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        **_slider_look(description),
    )


def choice(description: str, options: Any, value: Any = None) -> W.Dropdown:
    """A drop-down list (objective, optimizer)."""
    return W.Dropdown(options=options, value=value, description=description, style=_STYLE)


_STYLE = {"description_width": "initial"}
_LAYOUT = W.Layout(width="420px")


def _slider_look(description: str) -> dict[str, Any]:
    """What every slider shares: its label, one redraw per release (not per pixel of a
    drag), full-width labels, a fixed width."""
    return {"description": description, "continuous_update": False, "style": _STYLE,
            "layout": _LAYOUT}  # fmt: skip


class LiveFigure:
    """A figure redrawn from the current control values; see :func:`live_figure`."""

    def __init__(self, draw: Draw, controls: dict[str, W.ValueWidget]):
        self.draw, self.controls = draw, controls
        self.figure = draw(**self.values)
        self.handle: Any = None
        self.last_seconds = 0.0

    @property
    def values(self) -> dict[str, Any]:
        return {name: c.value for name, c in self.controls.items()}

    def update(self, **values: Any) -> Figure:
        """Redraw with ``values`` (missing ones from the controls); replaces the shown PNG."""
        t0 = time.perf_counter()
        self.figure = self.draw(**{**self.values, **values})
        if self.handle is not None:
            self.handle.update(self.image())
        self.last_seconds = time.perf_counter() - t0
        return self.figure

    def image(self) -> Image:
        """The current figure as a PNG display object (what the notebook stores)."""
        return Image(png_bytes(self.figure), format="png")

    def _on_change(self, _change: Any) -> None:
        self.update()

    def show(self) -> LiveFigure:
        box = W.HBox([W.VBox(list(self.controls.values())[i::2]) for i in range(2)])
        display(box)
        self.handle = display(self.image(), display_id=True)
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        return self


def live_figure(draw: Draw, **controls: W.ValueWidget) -> LiveFigure:
    """Show ``controls`` above the figure ``draw(**values)``; each change redraws it.

    ``draw`` takes one keyword per control and returns a new figure (build it with
    :func:`lessons_lib.plotting.new_figure`, which pyplot never shows twice). Returns the
    :class:`LiveFigure`, whose ``update(**values)`` the speed benchmark calls.
    """
    return LiveFigure(draw, controls).show()
