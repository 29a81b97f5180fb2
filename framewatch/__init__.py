"""framewatch: live video-frame analysis and alerting on Step Functions, runnable offline."""

__version__ = "0.1.0"
