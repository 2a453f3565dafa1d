"""The figure engine of the interactive lessons: static frames rendered once, data on top.

A slider update must compute, redraw and render a PNG in <= 100 ms. In matplotlib most
of that time goes into ticks, tick labels, legends and colorbars — parts that do not change
when a slider moves. So each interactive figure is split in two:

* a **frame**: the figure with its axes, limits, ticks, labels, fixed legends and
  colorbars but no data, built by a function and rendered to pixels once per key
  (:func:`framed` caches it);
* the **data**: on every update a new figure shows the frame's pixels (``figimage``) and
  gets invisible axes at exactly the frame's axes positions and limits, on which only the
  data, titles and notes are drawn.

The result looks like an ordinary figure (and is one: ``draw(**values)`` still returns a new
``Figure``). The helpers for static figures (:func:`lesson_figure`, :func:`background`)
live here too.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import contourpy
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from ..functions import Objective
from ..plotting import loss_line, use_lesson_style
from ..runner import Trajectory

__all__ = [
    "GAP_RANGE",
    "LOSS_FLOOR",
    "LessonFigure",
    "STEP_RANGES",
    "background",
    "frame_gaps",
    "frame_landscape",
    "frame_legend",
    "frame_losses",
    "framed",
    "handle",
    "lesson_figure",
    "log_yaxis",
    "loss_lines",
    "marker_handle",
    "nice_limit",
    "path_handles",
    "note",
    "shade",
    "star_handle",
    "title",
]

LOSS_FLOOR = 1e-12  # losses below this are drawn at the floor of the log axis
GAP_RANGE = (1e-12, 1e5)  # y range of the f - f* panels
STEP_RANGES = (20, 50, 100, 200)  # x ranges of loss panels (step sliders go up to 200)
DPI = 80


# --------------------------------------------------------------------------- figures
class LessonFigure(Figure):
    """A Figure that never picks up a layout engine from rcParams.

    ``use_lesson_style`` turns on constrained layout for ordinary figures. Matplotlib's
    ``savefig`` switches the engine off while printing and then restores "no engine" by
    calling ``set_layout_engine(None)``, which reads that rcParam and installs constrained
    layout: a second render would then move the axes (and warn). Fixed margins stay fixed.
    """

    def set_layout_engine(self, layout: Any = None, **kwargs: Any) -> None:
        super().set_layout_engine("none" if layout is None else layout, **kwargs)


def lesson_figure(
    ncols: int = 2,
    figsize: tuple[float, float] = (12.0, 5.0),
    width_ratios: Sequence[float] | None = None,
    nrows: int = 1,
) -> tuple[Figure, np.ndarray]:
    """A projector-sized figure (not registered with pyplot) with fixed margins and few
    ticks. No layout engine: constrained layout costs more than the drawing itself."""
    use_lesson_style()
    fig = LessonFigure(figsize=figsize, dpi=DPI, layout="none")
    axes = fig.subplots(nrows, ncols, gridspec_kw={"width_ratios": width_ratios})
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.88, wspace=0.28, hspace=0.45)
    axes = np.atleast_1d(axes)
    for ax in axes.ravel():  # every tick is several artists: keep few
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_locator(MaxNLocator(5))
    return fig, axes


def _power_of_ten(value: float, _pos: Any = None) -> str:
    """Log-axis tick label without mathtext: 0.01, 1, 100, 1e-6, 1e4."""
    return f"{value:g}" if 1e-3 <= value <= 1e3 else f"1e{round(np.log10(value)):d}"


def log_yaxis(ax: Axes) -> None:
    """Log-scale y axis with plain "1e-4" labels and no minor ticks (mathtext labels are
    parsed again for every new figure)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=6))
    ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    ax.yaxis.set_minor_locator(NullLocator())


def log_xaxis(ax: Axes) -> None:
    """Log-scale x axis with plain "0.01" / "1e-4" labels and no minor ticks."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(numticks=6))
    ax.xaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    ax.xaxis.set_minor_locator(NullLocator())


def title(ax: Axes, text: str, **kwargs: Any) -> None:
    """``ax.set_title`` at a fixed height (auto-placement measures every tick label)."""
    ax.set_title(text, y=1.01, **kwargs)


def nice_limit(value: float, choices: Sequence[float] = (10, 20, 50, 100, 200, 300)) -> float:
    """The smallest of ``choices`` >= ``value`` (the largest if none): axis ranges that
    change in a few jumps, so a few frames serve every slider value."""
    return next((c for c in choices if c >= value), choices[-1])


def handle(label: str, color: str, **style: Any) -> Line2D:
    """A legend entry for a frame (the data it stands for is drawn later)."""
    return Line2D([], [], color=color, label=label, **style)


def frame_legend(
    fig: Figure, handles: Sequence[Line2D], bottom: float = 0.22, ncol: int | None = None
) -> None:
    """One legend for the whole figure, below the axes, where no data is ever drawn."""
    fig.subplots_adjust(bottom=bottom)
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=ncol or len(handles),
        frameon=False,
        fontsize=13,
        handlelength=1.8,
        columnspacing=1.6,
    )


def marker_handle(label: str, color: str, marker: str, size: float) -> Line2D:
    """A legend entry that is one marker with a black edge (a start, an end, a minimum)."""
    return handle(label, color, linestyle="", marker=marker, markeredgecolor="k",
                  markersize=size)  # fmt: skip


def path_handles(*paths: tuple[str, str]) -> list[Line2D]:
    """Legend entries for optimizer paths ``(name, colour)``, plus what the start (circle)
    and the end (square; X after a divergence) markers mean."""
    marks = [marker_handle("start", "0.6", "o", 10), marker_handle("end", "0.6", "s", 10)]
    return [handle(name, color, marker="o", markersize=4) for name, color in paths] + marks


def star_handle(label: str = "minimum") -> Line2D:
    return marker_handle(label, "gold", "*", 18)


# --------------------------------------------------------------------------- frames
class Frame:
    """A figure's static part as pixels, plus where its data axes are and what they show."""

    def __init__(self, fig: Figure, axes: Sequence[Axes]):
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        self.region = canvas.copy_from_bbox(fig.bbox)
        self.pixels = np.asarray(self.region)  # a view: the pixels are stored once
        self.size = tuple(fig.get_size_inches())
        self.specs = [
            (
                ax.get_position().bounds,
                ax.get_xlim(),
                ax.get_ylim(),
                ax.get_xscale(),
                ax.get_yscale(),
            )
            for ax in axes
        ]


class FramedFigure(LessonFigure):
    """A figure drawn over a :class:`Frame`. On an Agg canvas of the frame's size (a PNG
    for the notebook) the frame's pixels are copied straight into the canvas; anywhere else
    (a cropped or a vector export) the frame is drawn as an ordinary image.

    Making axes is the most expensive part of a redraw, so :func:`framed` hands out again
    a figure that nothing refers to any more (during a slider move: the one before last),
    emptied and moved onto the new frame. A figure anything still holds is never reused.
    """

    copy_frame = True  # False: always draw the frame as an image (used by the tests)

    def __init__(self, frame: Frame):
        super().__init__(figsize=frame.size, dpi=DPI, layout="none")
        FigureCanvasAgg(self)  # its own Agg canvas: every PNG reuses one renderer
        self.patch.set_visible(False)  # the frame has its own background
        # the frame as an image on axes that fill the figure: unlike ``figimage`` it moves
        # with everything else when a cropped ("tight") PNG is made
        self._frame_axes = self.add_axes((0, 0, 1, 1), zorder=-10)
        self._frame_axes.set_axis_off()
        self._frame_image = self._frame_axes.imshow(
            frame.pixels, extent=(0, 1, 0, 1), aspect="auto", interpolation="nearest"
        )
        self.data_axes: Any = np.array([self.add_axes(spec[0]) for spec in frame.specs])
        for ax in self.data_axes:
            ax.set_axis_off()
            ax.set_autoscale_on(False)
        self._frame = frame
        self.own_refs = 0

    def show_frame(self, frame: Frame, known: int) -> None:
        """Put the data axes where ``frame`` has them, then count the figure's own
        references (``known``: those the caller holds)."""
        self._frame = frame
        self._frame_image.set_data(frame.pixels)
        for ax, (bounds, xlim, ylim, xscale, yscale) in zip(
            self.data_axes, frame.specs, strict=True
        ):
            ax.set_position(bounds)
            if (ax.get_xscale(), ax.get_yscale()) != (xscale, yscale):
                ax.set_xscale(xscale)
                ax.set_yscale(yscale)
            ax.set(xlim=xlim, ylim=ylim)
        self.findobj()  # make what matplotlib makes lazily (ticks) before counting
        self.own_refs = sys.getrefcount(self) - 2 - known  # 2: ``self`` and the argument

    def _data_artists(self) -> list[Any]:
        return [
            artist
            for ax in self.data_axes
            for artist in (*ax.lines, *ax.images, *ax.collections, *ax.patches, *ax.texts)
        ]

    def unused(self, known: int) -> bool:
        """True if nothing outside the figure refers to it (CPython reference counts): its
        own structure, one reference per data artist and the caller's ``known`` ones
        account for all. False for a figure that was altered (e.g. cleared)."""
        if self.data_axes is None or any(ax not in self.axes for ax in self.data_axes):
            self.data_axes = None
            return False
        expected = self.own_refs + len(self._data_artists()) + known + 2
        return sys.getrefcount(self) == expected

    def empty_data(self) -> None:
        """Remove everything drawn on the data axes, ready for the next slider value."""
        for artist in self._data_artists():
            artist.remove()
        for ax in self.data_axes:
            ax.set_title("")

    def draw(self, renderer: Any) -> None:
        height, width = self._frame.pixels.shape[:2]
        fast = (
            self.copy_frame
            and isinstance(renderer, RendererAgg)
            and (int(renderer.width), int(renderer.height)) == (width, height)
            and self.dpi == DPI
        )
        if fast:
            renderer.restore_region(self._frame.region)
            self._frame_axes.set_visible(False)
        try:
            super().draw(renderer)
        finally:
            self._frame_axes.set_visible(True)

    def savefig(self, fname: Any, **kwargs: Any) -> None:
        """As ``Figure.savefig``; PNGs use light compression (zlib level 1): for a slider
        update, encoding at the default level costs as much as drawing."""
        fmt = kwargs.get("format") or (fname if isinstance(fname, str) else "")
        if str(fmt).lower().endswith("png"):
            kwargs.setdefault("pil_kwargs", {"compress_level": 1})
        super().savefig(fname, **kwargs)


_FRAMES: OrderedDict[Hashable, Frame] = OrderedDict()
_POOLS: dict[str, list[FramedFigure]] = {}  # per figure: the figures handed out lately
_FAMILIES: set[str] = set()  # figures whose frames are all built
CACHED_FRAMES = 48  # frames kept in memory, about 1.5 MB each
POOL_SIZE = 3


def _frame(key: Hashable, build: Callable[[], tuple[Figure, Sequence[Axes]]]) -> Frame:
    if key in _FRAMES:
        _FRAMES.move_to_end(key)
    else:
        _FRAMES[key] = Frame(*build())
        if len(_FRAMES) > CACHED_FRAMES:
            _FRAMES.popitem(last=False)
    return _FRAMES[key]


def _figure_on(name: str, frame: Frame) -> FramedFigure:
    """A figure for ``frame``: a released one of this family if there is one."""
    pool = _POOLS.setdefault(name, [])
    for fig in pool:
        if fig.unused(known=2):  # known: the pool and this loop's variable
            fig.empty_data()
            if fig._frame is not frame:
                fig.show_frame(frame, known=2)
            return fig
    fig = FramedFigure(frame)
    fig.show_frame(frame, known=1)  # known: the variable ``fig``
    pool[:] = [f for f in pool if f.data_axes is not None][1 - POOL_SIZE :] + [fig]
    return fig


def framed(
    name: str,
    build: Callable[..., tuple[Figure, Sequence[Axes]]],
    args: tuple = (),
    every: Sequence[tuple] = (),
) -> tuple[Figure, np.ndarray]:
    """A figure on the frame ``build(*args)`` makes (rendered once per ``(name, *args)``),
    and its invisible data axes.

    ``build`` returns the decorated figure and the axes that will receive data (they come
    back, invisible, in that order). The first call also builds the frames for all
    ``every`` argument tuples, so that no slider move ever waits for one.
    """
    use_lesson_style()
    if name not in _FAMILIES:
        _FAMILIES.add(name)
        for other in every:
            _frame((name, *other), lambda other=other: build(*other))
    fig = _figure_on(name, _frame((name, *args), lambda: build(*args)))
    return fig, fig.data_axes


def note(ax: Axes, lines: Sequence[str]) -> None:
    """Text in the axes' upper-left corner (e.g. "gradient descent: diverged at step 7")."""
    if lines:
        ax.text(
            0.02,
            0.97,
            "\n".join(lines),
            transform=ax.transAxes,
            va="top",
            ha="left",
            fontsize=13,
            color="#B00000",
            zorder=10,
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9},
        )


# --------------------------------------------------------------------------- landscapes
_LANDSCAPES: OrderedDict[Hashable, tuple[np.ndarray, list[np.ndarray]]] = OrderedDict()


def _landscape(objective: Objective, key: Hashable, n: int, levels: int):
    """Log-scaled values on a grid and contour lines of ``objective``, cached per key."""
    if key not in _LANDSCAPES:
        X, Y, Z = objective.grid(n)
        span = float(Z.max() - Z.min())
        logz = np.log10(Z - Z.min() + 1e-4 * span + 1e-12)
        gen = contourpy.contour_generator(X, Y, logz)
        lines = [
            seg
            for lv in np.linspace(logz.min(), logz.max(), levels + 2)[1:-1]
            for seg in gen.lines(lv)
        ]
        _LANDSCAPES[key] = (logz, lines)
        if len(_LANDSCAPES) > 128:
            _LANDSCAPES.popitem(last=False)
    return _LANDSCAPES[key]


def shade(ax: Axes, objective: Objective, key: Hashable, n: int = 120, levels: int = 14) -> None:
    """The landscape of ``objective`` (log-scaled shading, contour lines, starred minima)
    on axes whose limits are already set; computed once per ``key``."""
    logz, lines = _landscape(objective, key, n, levels)
    (x0, x1), (y0, y1) = objective.bounds
    aspect = ax.get_aspect()  # imshow would reset it
    ax.imshow(
        logz,
        extent=(x0, x1, y0, y1),
        origin="lower",
        cmap="Blues_r",
        alpha=0.75,
        interpolation="bilinear",
    )
    ax.set_aspect(aspect)
    ax.add_collection(LineCollection(lines, colors="k", linewidths=0.6, alpha=0.35))
    mins = np.array(objective.minima)
    ax.plot(mins[:, 0], mins[:, 1], "*", color="gold", markeredgecolor="k", markersize=20, zorder=5)


def background(ax: Axes, objective: Objective, key: Hashable, aspect: str = "equal") -> None:
    """:func:`shade` plus limits, labels and aspect, for static figures and frames."""
    (x0, x1), (y0, y1) = objective.bounds
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x", ylabel="y", aspect=aspect)
    ax.set_autoscale_on(False)
    shade(ax, objective, key)
    ax.grid(False)


def frame_landscape(ax: Axes, objective: Objective, aspect: str = "equal") -> None:
    """The frame side of a landscape panel: limits, labels, aspect, no grid."""
    (x0, x1), (y0, y1) = objective.bounds
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x", ylabel="y", aspect=aspect)
    ax.grid(False)


# --------------------------------------------------------------------------- loss curves
def frame_losses(
    ax: Axes,
    xmax: float,
    ylim: tuple[float, float] = (1e-10, 1e5),
    ylabel: str = "loss f(w)",
    xlabel: str = "step t",
) -> None:
    """The frame side of a loss panel: log y axis with fixed limits, x from 0 to ``xmax``."""
    log_yaxis(ax)
    ax.set(xlim=(0, xmax), ylim=ylim, xlabel=xlabel, ylabel=ylabel)


def frame_gaps(ax: Axes, xmax: float, ylim: tuple[float, float] = GAP_RANGE) -> None:
    r"""The frame side of a panel of gaps :math:`f(w_t) - f^\star` (``Objective.gap``):
    :func:`frame_losses` with the gap's label and range."""
    frame_losses(ax, xmax, ylim=ylim, ylabel="f(wₜ) − f*", xlabel="step t")


def loss_lines(
    ax: Axes,
    runs: Sequence[tuple[str, Trajectory, str]],
    x: Sequence[np.ndarray] | None = None,
) -> list[str]:
    """Loss curves of single runs ``(name, trajectory, colour)`` on a frame's data axes,
    floored at :data:`LOSS_FLOOR` (:func:`lessons_lib.plotting.loss_line`: a diverged run
    ends with an X). Returns the "name: diverged at step k" notes."""
    notes = []
    for i, (name, traj, color) in enumerate(runs):
        steps = None if x is None else x[i]
        loss_line(ax, traj.losses, traj.diverged_at, x=steps, color=color, floor=LOSS_FLOOR)
        if int(traj.diverged_at) >= 0:
            notes.append(f"{name}: diverged at step {int(traj.diverged_at)}")
    return notes
