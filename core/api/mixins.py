"""Small behaviours the API's viewsets share."""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response
from rest_framework.reverse import reverse


class FiltersOnListMixin:
    """Query-string filters narrow lists; on a single object (``/commitments/7/?status=x``) they are ignored."""

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


class SerializerPerActionMixin:
    """``action_serializers``: the serializer of each action that does not use the view's ``serializer_class`` (a
    write's input, a single object's fuller shape). The schema reads it too, through ``get_serializer_class``."""

    action_serializers: dict = {}

    def get_serializer_class(self):
        return self.action_serializers.get(self.action) or super().get_serializer_class()


class WriteAnswersMixin:
    """How a write reads its request body and answers: the body checked by the action's own serializer, and the
    stored object read back through the view's queryset."""

    def validated_input(self, serializer_class, **kwargs) -> dict:
        """The request body as ``serializer_class`` validates it; invalid input raises DRF's ``ValidationError``
        (a 400 with the field errors) before anything is written."""
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def stored_answer(self, obj, serializer_class, *, created_route: str | None = None) -> Response:
        """``obj`` as stored now, shown by ``serializer_class``: 200, or 201 with its address in ``Location`` when
        ``created_route`` names its detail route (a new object)."""
        stored = self.get_queryset().get(pk=obj.pk)
        body = serializer_class(stored, context=self.get_serializer_context()).data
        if created_route is None:
            return Response(body)
        location = reverse(created_route, kwargs={"pk": stored.pk}, request=self.request)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})
