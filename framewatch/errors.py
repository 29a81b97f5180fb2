"""User-facing failures: each carries one line that says what went wrong and what to do."""


class UserError(Exception):
    """An error the user can fix; the CLI prints its message as one line and exits non-zero."""

    exit_code = 2
