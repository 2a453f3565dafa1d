"""lessons_lib: the small library behind the optimizer lessons.

The numpy-only core (``optimizers``, ``ewma``, ``functions``, ``runner``) imports in
milliseconds; plotting, widgets and Keras are imported only by the modules that need them.
"""

__version__ = "0.1.0"
