"""Helpers of the API tests: a personal access token for a user, and a client that sends it."""

from django.test import Client

from wagtail_support.models import ApiToken

API = "/api/support/v1"


def token_for(user, access="write", **kwargs):
    """A new token of ``user``: ``(row, key)``."""
    return ApiToken.objects.issue(user, name=kwargs.pop("name", "tests"), access=access, **kwargs)


def api_client(user=None, access="write", key=None, language=None, **kwargs):
    """A test client sending ``user``'s new token (or ``key``) as ``Authorization: Bearer``."""
    if key is None:
        _row, key = token_for(user, access, **kwargs)
    headers = {"Authorization": f"Bearer {key}"}
    if language:
        headers["Accept-Language"] = language
    return Client(headers=headers)


def post(client, url, data=None, **kwargs):
    return client.post(url, data or {}, content_type="application/json", **kwargs)
