"""The hand-written floor the API list is measured against (``api_cold_vs_sql_floor``): installed by the benchmark
settings only (``bench/urls.py``), never by the tracker's own URLs.

One SQL query for the page and its count (a window count), ``json.dumps``, a bare Django view on the same server
and middleware as the API: what a fresh read of the same page cannot go below.
"""

from __future__ import annotations

import json
from datetime import UTC

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone

from commitments.states import commitment_state

FLOOR_SQL = """
SELECT c.id, c.reference, c.title, c.description, a.code, c.area, c.strength, b.short_name, c.target_date,
       c.status, c.progress, c.status_changed_at, c.last_reviewed_at, c.version, c.created_at, c.updated_at,
       d.key, d.title, c.source_locator, count(*) OVER (),
       c.actor, c.made_at_id, c.eu_status, c.japan_status, c.progress_source, c.target_date_precision,
       c.status_changed_precision, c.last_reviewed_precision
FROM commitments_commitment c
JOIN commitments_agreement a ON a.id = c.agreement_id
LEFT JOIN dialogues_dialoguebody b ON b.id = c.responsible_body_id
LEFT JOIN core_sourcedocument d ON d.id = c.source_document_id
WHERE a.code = %s AND c.status = %s
ORDER BY a.code, c.reference_sort_key, c.reference
LIMIT %s
"""


def _aware(value):
    """A stored time as an aware datetime (SQLite's raw cursor gives it naive, in UTC as Django stores it)."""
    return timezone.make_aware(value, UTC) if value is not None and timezone.is_naive(value) else value


def _iso(value):
    return value.isoformat() if value is not None else None


@login_not_required
def commitment_page_floor(request):
    """The first page of commitments of one framework in one status, with the API's fields, in one query."""
    agreement, status = request.GET.get("agreement", ""), request.GET.get("status", "")
    size = min(int(request.GET.get("page_size", 50)), 100)
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, [agreement, status, size])
        rows = cursor.fetchall()
    base = f"{request.scheme}://{request.get_host()}"
    today = timezone.localdate()
    # The state by the one rule, from the status and the last update (or creation) the row already holds.
    states = [commitment_state(status=row[9], last_update_at=_aware(row[12] or row[14]), on=today) for row in rows]
    results = [
        {
            "id": row[0],
            "url": f"{base}/api/v1/commitments/{row[0]}/",
            "history_url": f"{base}/api/v1/commitments/{row[0]}/history/",
            "page_url": f"{base}/commitments/{row[0]}/",
            "reference": row[1],
            "title": row[2],
            "description": row[3],
            "agreement": row[4],
            "area": row[5],
            "strength": row[6],
            "responsible_body": row[7],
            "target_date": _iso(row[8]),
            "status": row[9],
            "progress": row[10],
            "status_changed_at": _iso(row[11]),
            "last_reviewed_at": _iso(row[12]),
            "version": row[13],
            "created_at": _iso(row[14]),
            "updated_at": _iso(row[15]),
            "source": {"document": row[16], "title": row[17], "locator": row[18]},
            "state": state.code,
            "state_label": state.text,
            "actor": row[20],
            "made_at": row[21],
            "made_at_url": f"{base}/api/v1/meetings/{row[21]}/" if row[21] else None,
            "eu_status": row[22],
            "japan_status": row[23],
            "progress_source": row[24],
            "target_date_precision": row[25],
            "status_changed_precision": row[26],
            "last_reviewed_precision": row[27],
        }
        for row, state in zip(rows, states, strict=True)
    ]
    count = rows[0][19] if rows else 0
    body = {"count": count, "next": None, "previous": None, "results": results}
    return HttpResponse(json.dumps(body), content_type="application/json")
