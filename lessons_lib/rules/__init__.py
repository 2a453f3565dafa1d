"""Update rules, each written once (see ``_base`` for the contract)."""

from ._base import Rule, State

__all__ = ["Rule", "State"]
