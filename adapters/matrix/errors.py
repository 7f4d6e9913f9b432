"""Errors of the Matrix adapter (importable without importing matrix-nio)."""


class MatrixError(Exception):
    """The bot cannot log in or talk to the homeserver (the message says why)."""
