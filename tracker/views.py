"""Site-wide views that belong to no app."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """Liveness probe for load balancers and docker-compose: the process answers, without touching the database.

    Also the trivial baseline view of the benchmarks (``make bench``): a request through the same middleware and
    server, with no work of its own.
    """
    return JsonResponse({"status": "ok"})
