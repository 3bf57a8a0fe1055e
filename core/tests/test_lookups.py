"""Lookups with numbers no integer column can hold (core.lookups): they decide as Django's own integer lookups do,
on SQLite (which refused such queries: a 500) as on PostgreSQL, and the rest of an ``in`` list still counts."""

from __future__ import annotations

import pytest

from commitments.models import Commitment
from commitments.tests.factories import CommitmentFactory
from dialogues.tests.factories import DialogueBodyFactory

pytestmark = pytest.mark.django_db

HUGE = 2**70


def test_in_on_an_id_leaves_out_what_no_column_holds():
    kept = CommitmentFactory()
    assert list(Commitment.objects.filter(pk__in=[HUGE, kept.pk, -HUGE])) == [kept]
    assert list(Commitment.objects.filter(pk__in=[2**63])) == []
    assert list(Commitment.objects.filter(pk=HUGE)) == []  # Django's own exact lookup, for comparison
    assert list(Commitment.objects.exclude(pk__in=[HUGE])) == [kept]
    # A subquery is left to the database.
    assert list(Commitment.objects.filter(pk__in=Commitment.objects.values("pk"))) == [kept]


def test_a_foreign_key_compared_with_a_huge_number():
    body = DialogueBodyFactory()
    kept = CommitmentFactory(responsible_body=body)
    assert list(Commitment.objects.filter(responsible_body=HUGE)) == []
    assert list(Commitment.objects.filter(responsible_body_id=HUGE)) == []
    assert list(Commitment.objects.filter(responsible_body__in=[HUGE, body.pk])) == [kept]
    assert list(Commitment.objects.filter(responsible_body__lt=HUGE)) == [kept]
    assert list(Commitment.objects.filter(responsible_body__gte=HUGE)) == []
    assert list(Commitment.objects.filter(responsible_body__gt=-HUGE)) == [kept]
    assert list(Commitment.objects.filter(responsible_body__lte=-HUGE)) == []
    assert list(Commitment.objects.exclude(responsible_body=HUGE)) == [kept]
    # Many-to-many goes through the same foreign keys.
    assert list(Commitment.objects.filter(meetings__in=[HUGE])) == []
    assert list(Commitment.objects.filter(meetings=HUGE)) == []


def test_in_leaves_out_text_that_is_not_a_whole_number():
    """As a key no column holds: ``abc`` or ``1.5`` names no row (Django raised ValueError, a 500 where request
    text reached such a list: the admin's bulk actions, its autocomplete fields redrawn)."""
    body = DialogueBodyFactory()
    kept = CommitmentFactory(responsible_body=body)
    assert list(Commitment.objects.filter(pk__in=["abc", str(kept.pk), "1.5", "漢", ""])) == [kept]
    assert list(Commitment.objects.filter(pk__in={"abc"})) == []
    assert list(Commitment.objects.exclude(pk__in=["abc"])) == [kept]
    assert list(Commitment.objects.filter(responsible_body__in=["abc", body.pk])) == [kept]
    assert list(Commitment.objects.filter(meetings__in=["abc"])) == []
    # Only text: a program passing something else by mistake still hears of it, as in Django.
    with pytest.raises(TypeError):
        list(Commitment.objects.filter(pk__in=[body]))
    # An exact lookup is Django's own: it still refuses the text, and its callers (the admin's get_object, a form
    # field's clean) answer "doesn't exist" or "Select a valid choice".
    with pytest.raises(ValueError):
        list(Commitment.objects.filter(pk="abc"))
