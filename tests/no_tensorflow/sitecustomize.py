"""Python started with this folder on ``PYTHONPATH`` cannot import TensorFlow or Keras.

``make test`` runs lessons 00-07 under nbval this way (the kernel inherits the variable),
so a lesson that starts to need TensorFlow fails there with the message below, as it
would on an install without the ``capstone`` extra (an Intel Mac, or a learner who chose
the core install), instead of passing only on machines that happen to have it.
"""

import importlib.abc
import sys

BLOCKED = frozenset({"tensorflow", "keras", "tf_keras"})


class BlockTensorFlow(importlib.abc.MetaPathFinder):
    """Refuse the top-level packages in :data:`BLOCKED` and everything below them."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(
                f"No module named {name!r}: lessons 00-07 must run without TensorFlow and"
                " Keras (tests/no_tensorflow blocks them); only lesson 08 may import them",
                name=name,
            )
        return None


sys.meta_path.insert(0, BlockTensorFlow())
