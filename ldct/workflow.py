"""What every rule script shares: logging to the rule's log file and one-line user errors."""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import Callable, Iterator

from ldct.core.errors import LdctInputError


def run_rule(snakemake, step: Callable[[], None]) -> None:
    """Run ``step`` inside a Snakemake ``script:`` job.

    Log records (INFO and above) and everything written to stderr (progress bars, library
    warnings) go to ``snakemake.log[0]``. A :class:`LdctInputError`
    (a bad file or config value) is written to the log and, as a single ``ldct:`` line, to
    the terminal, and the job exits with status 1; Snakemake then deletes the job's
    outputs. Any other exception is logged with its traceback and re-raised.
    """
    terminal = sys.stderr
    log = open(snakemake.log[0], "w", buffering=1)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        handlers=[logging.StreamHandler(log)],
        force=True,
    )
    logging.info("rule %s, wildcards %s", snakemake.rule, dict(snakemake.wildcards.items()))
    sys.stderr = log
    try:
        step()
    except LdctInputError as error:
        logging.error("%s", error)
        print(f"ldct: {error}", file=terminal)
        sys.exit(1)
    except Exception:
        logging.exception("unexpected error")
        raise
    finally:
        sys.stderr = terminal
    logging.info("done")


@contextmanager
def config_value(key: str) -> Iterator[None]:
    """Name config ``key`` in the error a library call raises about a value the key set.

    A ValueError or :class:`LdctInputError` raised inside becomes one LdctInputError
    'config key <key>: <message>'.
    """
    try:
        yield
    except (ValueError, LdctInputError) as error:
        raise LdctInputError(f"config key {key}: {error}") from error
