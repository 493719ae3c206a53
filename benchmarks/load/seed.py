"""Seed the load test's database: ``python -m benchmarks.load.seed --agents 10``.

Migrates, seeds what ``support_demo --no-tickets`` seeds (home page, support page, teams, service
catalog, resolution codes, groups, the demo accounts) with ``example_site.demo.tickets.seed_configuration``,
and adds the load test's agents, ``loadagent01`` to ``loadagentNN``, each an agent of one team (in turn),
with the password ``AGENT_PASSWORD``. Run with the load settings
(``DJANGO_SETTINGS_MODULE=example_site.settings.load``) and DATABASE_URL set.

The ``support_demo`` command itself refuses to run with DEBUG off, as the load settings have it; the load
test's database is a throwaway copy of its own, so the seed calls the demo's seeding directly.
"""

import argparse
import os
import sys

AGENT_PASSWORD = "load-agent-password"
AGENT_PREFIX = "loadagent"


def agent_usernames(count):
    return [f"{AGENT_PREFIX}{i:02d}" for i in range(1, count + 1)]


def seed(agents):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction

    from example_site.demo import tickets as demo
    from wagtail_support.groups import AGENTS
    from wagtail_support.models import Team

    call_command("migrate", interactive=False, verbosity=0)
    demo.seed_configuration(demo.Report())  # support_demo --no-tickets, without its DEBUG guard

    User = get_user_model()
    group = Group.objects.get(name=AGENTS)
    teams = list(Team.objects.filter(is_active=True).order_by("slug"))
    with transaction.atomic():
        for i, username in enumerate(agent_usernames(agents)):
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"email": f"{username}@load.example.com", "first_name": "Load", "last_name": f"Agent {i + 1:02d}"},
            )
            if created or not user.check_password(AGENT_PASSWORD):
                user.set_password(AGENT_PASSWORD)
                user.save()
            user.groups.add(group)
            teams[i % len(teams)].members.add(user)
    return {"agents": agents, "teams": [t.slug for t in teams]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=10)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings.load")
    import django

    django.setup()
    print(seed(args.agents))
    return 0


if __name__ == "__main__":
    sys.exit(main())
