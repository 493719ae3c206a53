"""The demo of the example site: ``manage.py support_demo`` and the data it seeds.

It lives here, in the example site, and not in the ``wagtail_support`` package: the demo creates accounts
with known passwords (admin/admin...) and has no place in a production site's wheel.
"""
