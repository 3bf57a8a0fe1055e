"""Domain errors: what a service refuses for a reason other than invalid input.

Services raise these (never an ``IntegrityError`` or an HTTP status); exactly one place maps them for each
interface: :class:`core.views.DomainErrorsMixin` turns a :class:`DomainConflict` into the form's conflict page
(HTTP 409) and ``core.api.exceptions.api_exception_handler`` into the API's 409 in its one error shape. Invalid
input stays Django's ``ValidationError`` (400 on both paths).
"""

from __future__ import annotations


class DomainError(Exception):
    """The base of every error a service raises on purpose; ``message`` is what a person is told."""

    message = "The change was refused."

    def __str__(self) -> str:
        return self.message


class DomainConflict(DomainError):
    """A write based on a state that has changed (or a concurrent write that took its place): nothing was written.

    The form shows its conflict page and the API answers 409; an API view adds the current state to that answer
    with its ``conflict_extra(conflict)`` hook (it has the serializers, see ``core.api.exceptions``).
    """

    message = "Someone else changed this after you opened it: nothing was saved."

    @property
    def authors(self) -> tuple:
        """Who made the change that got in the way (users; ``None`` for a change with no known author), so that a
        page does not blame "someone else" for a person's own save in another tab. Empty when it is not known."""
        return ()


class FactConflict(DomainConflict):
    """A confirmation of an assumed fact based on a version of that fact someone else has changed since.

    ``record`` is the record as it stands now and ``fact`` the name of the fact, so that the conflict page can say
    what it is now and offer a fresh form.
    """

    def __init__(self, *, record, fact: str):
        self.record, self.fact = record, fact
        label = getattr(record, "PROVENANCE_LABELS", {}).get(fact, fact.replace("_", " ")).lower()
        current = record.fact(fact).basis_text or "empty"
        self.message = (
            f"Nothing was confirmed: the {label} was changed after you opened the form. It is now {current}."
        )


class ChangedSinceOpened(DomainConflict):
    """An admin change form sent back after someone else changed what it shows (``core.admin_base.StaleFormGuard``).

    Saving it would have written the values it was opened with back over theirs. ``record`` is what the form is
    about ("dialogue body"); ``changed`` names what changed since (field labels, an inline's name), ``None`` when
    the form did not say what it was opened on, ``[]`` when the record was deleted meanwhile.
    """

    def __init__(self, *, record: str, changed: list[str] | None):
        self.record, self.changed = record, changed
        if changed is None:
            self.message = f"This form did not say which version of the {record} it was opened on: nothing was saved."
        elif not changed:
            self.message = f"Someone else deleted this {record} after you opened the form: nothing was saved."
        else:
            self.message = (
                f"Someone else changed this {record} after you opened the form ({', '.join(changed)}): "
                "nothing was saved."
            )
