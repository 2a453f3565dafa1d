"""The lessons' interactive figures, one module per lesson topic.

Each module exposes, per figure, ``<name>_figure(**values) -> Figure`` and
``<name>_controls() -> dict[str, ipywidgets.ValueWidget]``, and lists them in
``INTERACTIVE = [(<name>_figure, <name>_controls), ...]`` so the speed benchmark and the
tests can sweep every control. A notebook shows one with
``live_figure(<name>_figure, **<name>_controls())``.
"""
