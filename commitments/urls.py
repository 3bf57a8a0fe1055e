from django.urls import path

from . import dashboard_views, views

app_name = "commitments"

urlpatterns = [
    path("", dashboard_views.OverviewView.as_view(), name="home"),
    path("changes/", dashboard_views.ChangesView.as_view(), name="changes"),
    path("timeline/", dashboard_views.TimelineView.as_view(), name="timeline"),
    path("agreements/<str:code>/", dashboard_views.AgreementDetailView.as_view(), name="agreement_detail"),
    path("commitments/", views.CommitmentListView.as_view(), name="commitment_list"),
    path("commitments/export.csv", dashboard_views.CommitmentExportCsvView.as_view(), name="commitment_export_csv"),
    path("commitments/<int:pk>/", views.CommitmentDetailView.as_view(), name="commitment_detail"),
    path(
        "commitments/<int:pk>/update-status/",
        views.CommitmentUpdateStatusView.as_view(),
        name="commitment_update_status",
    ),
    path("commitments/<int:pk>/confirm-unchanged/", views.CommitmentConfirmView.as_view(), name="commitment_confirm"),
    path("commitments/<int:pk>/edit/", views.CommitmentEditView.as_view(), name="commitment_edit"),
]
