"""Pure domain code: no boto3, no I/O. Unit-tested directly."""
