"""``--log-level`` / ``--log-format``: the library's loggers to stderr, through the PII filter."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from typing import TextIO

from .pii import PiiRedactingFilter

__all__ = ["LEVELS", "configure_logging"]

LEVELS = ("debug", "info", "warning", "error")


class _JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (already redacted)."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            document["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(document)


@contextlib.contextmanager
def configure_logging(stream: TextIO, *, level: str, fmt: str) -> Iterator[logging.Handler]:
    """For the ``with`` block, the ``extensiv_connector`` logger writes to ``stream`` at
    ``level``; afterwards the handler is removed and the previous level restored (``main``
    may run inside a host process or a test).

    The PII filter sits on the handler, so every record printed passes it, whichever module
    logged it.
    """
    handler = logging.StreamHandler(stream)
    handler.addFilter(PiiRedactingFilter())
    if fmt == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("extensiv_connector")
    previous = logger.level
    logger.setLevel(level.upper())
    logger.addHandler(handler)
    # The PostgreSQL pool warns once per failed connection attempt; the store already turns
    # the failure into one error line (or a logged StateStoreError). Its detail shows at debug.
    driver = logging.getLogger("psycopg")
    driver_previous = driver.level
    driver.setLevel(logging.DEBUG if level.upper() == "DEBUG" else logging.ERROR)
    driver.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        driver.removeHandler(handler)
        driver.setLevel(driver_previous)
