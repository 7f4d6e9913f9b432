"""Third-party loggers that would write phone numbers below WARNING (request URLs, PDUs
in hex) are held at WARNING. A filter does it, not only the level: it survives a later
logging.config.dictConfig() that resets the level of existing loggers."""

from __future__ import annotations

import logging


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def warnings_only(*names: str) -> None:
    for name in names:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        logger.addFilter(_warnings_only)  # a no-op when already there
