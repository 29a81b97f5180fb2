"""OpenCV with its own stderr chatter turned down: it prints warnings (with URLs, which may
carry credentials) for every failed open, and we report failures ourselves in one line."""

from __future__ import annotations

import os

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # FFmpeg's av_log: quiet

import cv2

cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

__all__ = ["cv2"]
