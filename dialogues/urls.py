from django.urls import path

from core import converters  # noqa: F401  (registers <code:...>)

from . import views

app_name = "dialogues"

urlpatterns = [
    path("", views.DialogueBodyListView.as_view(), name="body_list"),
    # Short names are capitals (the <code:...> converter), so "meetings" can never be one.
    path("meetings/new/", views.MeetingCreateView.as_view(), name="meeting_create"),
    path("meetings/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting_detail"),
    path("meetings/<int:pk>/withdraw/", views.MeetingWithdrawView.as_view(), name="meeting_withdraw"),
    path("<code:short_name>/", views.DialogueBodyDetailView.as_view(), name="body_detail"),
    path("<code:short_name>/confirm-fact/", views.BodyFactConfirmView.as_view(), name="body_confirm_fact"),
]
