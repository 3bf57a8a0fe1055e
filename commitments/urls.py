from django.urls import path

from . import views

app_name = "commitments"

urlpatterns = [
    path("commitments/", views.CommitmentListView.as_view(), name="commitment_list"),
    path("commitments/export.csv", views.CommitmentExportCsvView.as_view(), name="commitment_export_csv"),
    path("commitments/<int:pk>/", views.CommitmentDetailView.as_view(), name="commitment_detail"),
    path(
        "commitments/<int:pk>/update-status/",
        views.CommitmentUpdateStatusView.as_view(),
        name="commitment_update_status",
    ),
    path("commitments/<int:pk>/confirm-unchanged/", views.CommitmentConfirmView.as_view(), name="commitment_confirm"),
    path("commitments/<int:pk>/edit/", views.CommitmentEditView.as_view(), name="commitment_edit"),
    path(
        "commitments/<int:pk>/updates/<int:update_pk>/withdraw/",
        views.StatusUpdateWithdrawView.as_view(),
        name="status_update_withdraw",
    ),
]
