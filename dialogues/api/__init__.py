"""The dialogues app's part of the REST API (``/api/v1/dialogues/``, ``meetings/``)."""
