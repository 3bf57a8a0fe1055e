"""The one way the web forms handle a service's refusal: invalid input is 400 with the form again, a conflict
(:class:`core.exceptions.DomainConflict`) is 409 with the view's conflict page. Views only call the service."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .exceptions import DomainConflict


class DomainErrorsMixin:
    """For ``FormView`` subclasses whose ``form_valid`` calls a service.

    ``ValidationError`` from the service is attached to the form (status 400, nothing written); a
    :class:`DomainConflict` renders :meth:`conflict_response` (status 409, nothing written). Subclasses say how
    their conflict page looks by overriding :meth:`conflict_context`.
    """

    conflict_message = ""

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            return self.form_invalid(form)
        try:
            return self.form_valid(form)
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        except DomainConflict as conflict:
            return self.conflict_response(conflict, form)

    def conflict_context(self, conflict: DomainConflict, form) -> dict:
        """What the conflict page shows besides the message (by default the form as it was sent)."""
        return {"form": form}

    def conflict_response(self, conflict: DomainConflict, form):
        context = self.get_context_data(
            conflict=conflict,
            conflict_message=self.conflict_message or conflict.message,
            **self.conflict_context(conflict, form),
        )
        return self.render_to_response(context, status=409)
