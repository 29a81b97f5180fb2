"""The ``framewatch`` command. Each sub-command lives in its own module and registers itself."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from framewatch.errors import UserError

# Modules with a ``register(subparsers)`` function; imported lazily-enough (no heavy imports at
# module level in these files) so that ``framewatch --help`` stays fast.
COMMAND_MODULES = (
    "framewatch.embedded.cli",
    "framewatch.vision.cli",
    "capture.cli",
    "framewatch.ops.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="framewatch",
        description="Live video-frame analysis and alerting on AWS Step Functions, or offline.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # that part of the product is not in this build yet
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        for line in str(exc).splitlines() or [""]:  # several problems: each on its own line
            print(f"framewatch: error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # credentials and endpoints are the usual suspects: say so in one line
        from botocore.exceptions import EndpointConnectionError, NoCredentialsError, NoRegionError

        if isinstance(exc, NoRegionError):
            print(
                "framewatch: error: no AWS region set; set AWS_DEFAULT_REGION (or AWS_REGION) or run "
                "`aws configure`, or use the embedded stack with `framewatch up`",
                file=sys.stderr,
            )
            return 2
        if isinstance(exc, NoCredentialsError):
            print(
                "framewatch: error: no AWS credentials found; run `aws configure` or set "
                "AWS_PROFILE, or use the embedded stack with `framewatch up`",
                file=sys.stderr,
            )
            return 2
        if isinstance(exc, EndpointConnectionError):
            print(
                f"framewatch: error: cannot reach {exc.kwargs.get('endpoint_url')}; is the "
                "endpoint running and AWS_ENDPOINT_URL set right?",
                file=sys.stderr,
            )
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
