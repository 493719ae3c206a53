"""The REST API of the support (``/api/support/v1/`` in the README's URLconf), on Django REST framework.

A personal access token (``models.ApiToken``) authenticates each request and acts as its user: the same
rules (``access``) and the same moves (``workflow``) as the admin, so a token sees and does exactly what
its user can in the inbox and the workspace. Modules:

- ``authentication``: the token in ``Authorization: Bearer <token>`` (or ``Token <token>``); no session.
- ``permissions``: agents only; a read-only token reads only.
- ``throttling``: requests per token (``WAGTAILSUPPORT_API_RATES``).
- ``pagination``: the list's cursor (keyset over the inbox's orderings, with the number as tie-breaker).
- ``serializers``: what the API shows of a ticket, its messages and attachments; what the moves take.
- ``base``: the views' common ground (language, JSON errors with the workflow's translated messages).
- ``views``: the endpoints; ``docs``: the OpenAPI schema (drf-spectacular) and the docs page.
- ``urls``: include them at ``api/support/v1/``.
"""
