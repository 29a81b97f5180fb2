"""The local Rekognition-compatible vision service (see ``server`` for the protocol)."""
