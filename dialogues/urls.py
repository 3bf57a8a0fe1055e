from django.urls import include, path

from core import converters  # noqa: F401  (registers <code:...>)

from . import views

app_name = "dialogues"

# The pages of one meeting, under /dialogues/meetings/<pk>/, and of one body, under /dialogues/<short_name>/.
meeting_patterns = [
    path("", views.MeetingDetailView.as_view(), name="meeting_detail"),
    path("withdraw/", views.MeetingWithdrawView.as_view(), name="meeting_withdraw"),
]
body_patterns = [
    path("", views.DialogueBodyDetailView.as_view(), name="body_detail"),
    path("confirm-fact/", views.BodyFactConfirmView.as_view(), name="body_confirm_fact"),
]

urlpatterns = [
    path("", views.DialogueBodyListView.as_view(), name="body_list"),
    # Short names are capitals (the <code:...> converter), so "meetings" can never be one.
    path("meetings/new/", views.MeetingCreateView.as_view(), name="meeting_create"),
    path("meetings/<int:pk>/", include(meeting_patterns)),
    path("<code:short_name>/", include(body_patterns)),
]
