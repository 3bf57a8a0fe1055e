"""The benchmark's URLs: the tracker's, plus the hand-written floor view (``bench.views``). Benchmark settings only."""

from django.urls import path

from tracker.urls import urlpatterns as tracker_urlpatterns

from . import views

urlpatterns = [
    path("bench/floor/commitments/", views.commitment_page_floor, name="bench_commitment_floor"),
    *tracker_urlpatterns,
]

handler500 = "tracker.errors.server_error"
handler404 = "core.api.exceptions.not_found"
