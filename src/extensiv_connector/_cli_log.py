"""``--log-level`` / ``--log-format``: the library's loggers to stderr, through the PII filter."""

from __future__ import annotations

import json
import logging
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


def configure_logging(stream: TextIO, *, level: str, fmt: str) -> logging.Handler:
    """Attach one handler to the ``extensiv_connector`` logger; returns it (to remove later).

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
    logger.setLevel(level.upper())
    logger.addHandler(handler)
    return handler
