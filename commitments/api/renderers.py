"""The commitment list as CSV (``/api/v1/commitments/?format=csv``): content negotiation only.

The file itself is the web export's (``commitments.exports``): the whole filtered list, same columns, streamed.
"""

from __future__ import annotations

from rest_framework.renderers import BaseRenderer


class CommitmentCSVRenderer(BaseRenderer):
    """Registers ``text/csv`` for content negotiation; the body is streamed by ``commitment_csv_response``."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        # Only a body-less response (304) ever reaches here: rows are streamed and errors are rendered as JSON.
        return b""
