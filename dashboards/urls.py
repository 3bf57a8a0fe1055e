from django.urls import path

from core import converters  # noqa: F401  (registers <code:...>)

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="home"),
    path("changes/", views.ChangesView.as_view(), name="changes"),
    path("timeline/", views.TimelineView.as_view(), name="timeline"),
    path("agreements/<code:code>/", views.AgreementDetailView.as_view(), name="agreement_detail"),
]
