"""The frames API behind the web UI: pure queries, one data-access module, a local HTTP adapter."""
