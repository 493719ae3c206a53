from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

from wagtail_support.groups import sync_groups


class Command(BaseCommand):
    help = 'Create the "Support agents" and "Support supervisors" groups, or give them back their permissions.'

    def handle(self, *args, **options):
        for group in sync_groups(Group, Permission):
            self.stdout.write(f"{group.name}: {group.permissions.count()} permissions")
