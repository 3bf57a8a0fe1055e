"""``{% load follow %}{% follow_button commitment %}``: the follow button the domain pages load from this app.

The domain apps' templates load this library; their Python code never imports this app. The user's follows are
read once per request (one query for all the buttons of a page).
"""

from __future__ import annotations

from django import template

from commitments.choices import PolicyArea
from commitments.models import Agreement, Commitment
from dialogues.models import DialogueBody
from subscriptions.choices import FollowKind
from subscriptions.selectors import followed_keys

register = template.Library()


def _kind_and_key(target, kind: str | None) -> tuple[str, str, str]:
    if isinstance(target, Commitment):
        return FollowKind.COMMITMENT, str(target.pk), target.reference
    if isinstance(target, DialogueBody):
        return FollowKind.BODY, target.short_name, target.short_name
    if isinstance(target, Agreement):
        return FollowKind.AGREEMENT, target.code, target.code
    if kind == "area" and target in PolicyArea.values:
        return FollowKind.AREA, str(target), PolicyArea(target).label
    raise template.TemplateSyntaxError(f"follow_button cannot follow {target!r}")


@register.inclusion_tag("subscriptions/_follow_button.html", takes_context=True)
def follow_button(context, target, kind: str | None = None):
    """A POST form (works without JavaScript) that follows or unfollows ``target``: a commitment, a dialogue body,
    a framework, or a policy area code with ``kind="area"``. Nothing for visitors who are not signed in."""
    request = context.get("request")
    user = getattr(request, "user", None)
    kind, key, label = _kind_and_key(target, kind)
    if user is None or not user.is_authenticated:
        return {"show": False}
    if not hasattr(request, "_followed_keys"):
        request._followed_keys = followed_keys(user=user)
    db_key = key if kind == FollowKind.AREA else str(target.pk)  # how followed_keys names targets
    following = (kind, db_key) in request._followed_keys
    return {
        "show": True,
        "kind": kind,
        "key": key,
        "label": label,
        "kind_label": FollowKind(kind).label.lower(),
        "following": following,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
