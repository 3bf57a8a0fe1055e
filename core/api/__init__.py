"""What every endpoint of the REST API shares, one concern a module.

- ``permissions``: who may read and write (:class:`~core.api.permissions.ReadOrEditorWrite`);
- ``pagination``: pages with a bounded size (:class:`~core.api.pagination.TrackerPagination`);
- ``filtering``: the FilterSets' backend, refusing query parameters nothing reads
  (:class:`~core.api.filtering.StrictFilterBackend`);
- ``throttling``: rates read from the settings at request time;
- ``exceptions``: the one JSON shape of every error, and the mapping of domain errors to 409;
- ``fields``: strict JSON input types (:class:`~core.api.fields.StrictModelSerializer`);
- ``conditional``: ``ETag`` / ``Last-Modified`` and ``304 Not Modified`` before anything is serialised;
- ``mixins``: small view behaviours the viewsets share;
- ``schema``: what this machinery adds to the OpenAPI schema (drf-spectacular).

It lives in the shared base (``core``), below both domain apps, because their API views are built on it.
"""
