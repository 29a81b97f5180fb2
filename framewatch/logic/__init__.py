"""Use cases behind the handlers: parse, decide, and call the AWS adapters."""
