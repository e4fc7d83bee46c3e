"""Errors the store raises, each with a message a person can act on."""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot be used; ``str(err)`` says why and what to do."""


class StoreCorrupt(StoreError):
    """The file is not a readable starmap-tui database."""


class StoreReadOnly(StoreError):
    """The database or its folder cannot be written."""


class StoreForeign(StoreError):
    """The file is a SQLite database that another program owns."""


class StoreTooNew(StoreError):
    """The database was written by a newer starmap-tui."""


class UnknownStarmap(StoreError):
    """No starmap has this id or id prefix."""


class AmbiguousStarmap(StoreError):
    """More than one starmap starts with this id prefix."""
