from django.urls import include, path

from core import converters  # noqa: F401  (registers <code:...>)

from . import views

app_name = "commitments"

# The pages of one commitment, under /commitments/<pk>/.
commitment_patterns = [
    path("", views.CommitmentDetailView.as_view(), name="commitment_detail"),
    path("update-status/", views.CommitmentUpdateStatusView.as_view(), name="commitment_update_status"),
    path("confirm-unchanged/", views.CommitmentConfirmView.as_view(), name="commitment_confirm"),
    path("edit/", views.CommitmentEditView.as_view(), name="commitment_edit"),
    path("updates/<int:update_pk>/withdraw/", views.StatusUpdateWithdrawView.as_view(), name="status_update_withdraw"),
    path("progress-source/", views.ProgressSourceView.as_view(), name="progress_source"),
    path("milestones/new/", views.MilestoneAddView.as_view(), name="milestone_add"),
    path("milestones/<int:milestone_pk>/edit/", views.MilestoneEditView.as_view(), name="milestone_edit"),
    path("milestones/<int:milestone_pk>/withdraw/", views.MilestoneWithdrawView.as_view(), name="milestone_withdraw"),
]

urlpatterns = [
    path("commitments/", views.CommitmentListView.as_view(), name="commitment_list"),
    path(
        "agreements/<code:code>/confirm-fact/", views.AgreementFactConfirmView.as_view(), name="agreement_confirm_fact"
    ),
    path("commitments/export.csv", views.CommitmentExportCsvView.as_view(), name="commitment_export_csv"),
    path(
        "commitments/export.xlsx",
        views.CommitmentExportCsvView.as_view(),
        {"fmt": "xlsx"},
        name="commitment_export_xlsx",
    ),
    path("commitments/<int:pk>/", include(commitment_patterns)),
]
