"""The commitments app's part of the REST API (``/api/v1/agreements/``, ``commitments/``, ``status-updates/``)."""
