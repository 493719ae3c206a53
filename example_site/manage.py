#!/usr/bin/env python
"""Run the example site: python example_site/manage.py runserver"""

import os
import sys

if __name__ == "__main__":
    # The example site is a package at the top of the repository, beside wagtail_support.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings.dev")

    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
