"""The two groups wagtail-support sets up: "Support agents" and "Support supervisors".

Used by the data migration that creates them and by ``manage.py support_groups``, which puts their
permissions back after a site changed them by hand or after an upgrade added permissions.
"""

AGENTS = "Support agents"
SUPERVISORS = "Support supervisors"

AGENT_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("wagtail_support", "work_on_tickets"),
    ("wagtail_support", "view_ticket"),
    ("wagtail_support", "view_team"),
    ("wagtail_support", "view_category"),
    ("wagtail_support", "view_resolutioncode"),
    ("wagtail_support", "view_cannedresponse"),
]

SUPERVISOR_PERMISSIONS = AGENT_PERMISSIONS + [
    ("wagtail_support", "view_all_tickets"),
    ("wagtail_support", "change_ticket"),
    ("wagtail_support", "add_team"),
    ("wagtail_support", "change_team"),
    ("wagtail_support", "delete_team"),
    ("wagtail_support", "add_category"),
    ("wagtail_support", "change_category"),
    ("wagtail_support", "delete_category"),
    ("wagtail_support", "add_resolutioncode"),
    ("wagtail_support", "change_resolutioncode"),
    ("wagtail_support", "delete_resolutioncode"),
    ("wagtail_support", "add_cannedresponse"),
    ("wagtail_support", "change_cannedresponse"),
    ("wagtail_support", "delete_cannedresponse"),
    ("wagtail_support", "add_faqentry"),
    ("wagtail_support", "change_faqentry"),
    ("wagtail_support", "delete_faqentry"),
    ("wagtail_support", "view_faqentry"),
    ("wagtail_support", "publish_faqentry"),
    ("wagtail_support", "add_faqtopic"),
    ("wagtail_support", "change_faqtopic"),
    ("wagtail_support", "delete_faqtopic"),
    ("wagtail_support", "view_faqtopic"),
    # The mail records: lists of mail in and out; releasing or discarding incoming mail.
    ("wagtail_support", "view_outboundmail"),
    ("wagtail_support", "view_inboundmail"),
    ("wagtail_support", "change_inboundmail"),
    # Settings › Support, on every site (a site setting's permission given globally).
    ("wagtail_support", "change_supportsitesettings"),
    # Service levels: business calendars and policies (supervisors only; agents do not see them).
    *[
        ("wagtail_support", f"{action}_{model}")
        for model in ("businesscalendar", "servicelevelpolicy")
        for action in ("add", "change", "delete", "view")
    ],
    # A requester's personal data: export it, erase it (Support › Personal data, ``privacy``).
    ("wagtail_support", "erase_personal_data"),
    # Outgoing webhooks and their delivery logs (supervisors only: a webhook sends ticket data outside).
    *[("wagtail_support", f"{action}_webhook") for action in ("add", "change", "delete", "view")],
    ("wagtail_support", "view_webhookdelivery"),
]

GROUPS = {AGENTS: AGENT_PERMISSIONS, SUPERVISORS: SUPERVISOR_PERMISSIONS}


def sync_groups(group_model, permission_model):
    """Create the groups if missing and give them (at least) their permissions. Returns the groups."""
    groups = []
    for name, perms in GROUPS.items():
        group, _created = group_model.objects.get_or_create(name=name)
        wanted = []
        for app_label, codename in perms:
            permission = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.add(*wanted)
        groups.append(group)
    return groups

# Shown in the group editor (Settings > Groups): the custom permissions and the configuration's.
REGISTERED_PERMISSIONS = [
    "work_on_tickets",
    "view_all_tickets",
    *[f"{action}_{model}" for action in ("add", "change", "delete", "view") for model in ("team", "category", "resolutioncode")],
    *[
        f"{action}_{model}"
        for action in ("add", "change", "delete", "view")
        for model in ("businesscalendar", "servicelevelpolicy")
    ],
    "view_outboundmail",
    "view_inboundmail",
    "change_inboundmail",
    "erase_personal_data",
    *[f"{action}_webhook" for action in ("add", "change", "delete", "view")],
    "view_webhookdelivery",
]
