"""The CLI's log lines mask phone numbers, whatever a library put in an error's text."""

from __future__ import annotations

import logging
import sys

from adapters.cli import RedactingFormatter


def test_log_lines_and_tracebacks_mask_phone_numbers() -> None:
    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        raise ValueError(
            "DETAIL: Key (job_no, phone, day)=(1, +32470999901, 2022-05-16) already exists."
        )
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "sending to %s failed", ("0470 99 99 02",), None
        )
        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert "+32470999901" not in line and "0470 99 99 02" not in line
    assert line.count("[number]") == 2
    assert "2022-05-16" in line and "job_no" in line  # dates and the rest are kept
