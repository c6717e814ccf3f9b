"""Running the command line in-process for tests: every run must end in an exit code, never an exception.

Under ``CliRunner`` an uncaught exception never reaches ``result.output`` (it is kept in
``result.exception``), so "no traceback" is checked there. ``test_bad_input``, ``test_evaluate`` and
``test_integration`` use these too; other test modules may.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence

from click.testing import Result
from typer.testing import CliRunner

from parallax.cli.main import app

runner = CliRunner()


def invoke(args: Sequence[str], stdin: str | None = None) -> Result:
    """Run ``parallax ARGS`` in-process; fail the test if the command raised instead of exiting."""
    result = runner.invoke(app, list(args), input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raised = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else repr(result.exception)
        raise AssertionError(f"parallax {' '.join(args)} raised instead of exiting:\n{raised}")
    return result


def run(*args: str) -> tuple[int, str]:
    """``invoke`` for the common case: the exit code and everything printed (stdout and stderr)."""
    result = invoke(args)
    return result.exit_code, result.output


def assert_one_line_error(code: int, output: str, needle: str) -> None:
    """A failed command printed exactly one ``Error:`` line, and it holds ``needle``."""
    assert code != 0
    errors = [ln for ln in output.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, output
    assert needle in errors[0]
