from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data and ``manage.py support_demo``; no models."""

    name = "example_site.demo"
    label = "support_demo_site"
    verbose_name = "wagtail-support demo"
