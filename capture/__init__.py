"""The capture client: reads cameras, streams and files, samples and motion-gates frames, and puts
them on Kinesis as versioned frame records (``framewatch capture``; Python API in ``session``)."""
