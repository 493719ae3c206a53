"""The agents' side in the Wagtail admin, one module per screen:

- ``urls`` (namespace ``wagtail_support_admin``) and ``paths`` (their addresses); ``menu``, the Support menu;
- ``scope`` (whose tickets), ``filters`` (filters, sorts, search), ``columns``, ``inbox``, ``bulk_actions``,
  ``panels`` (the admin home panel, the account's mail settings);
- ``workspace`` (one ticket), ``ticket_forms`` and ``actions`` (its moves), ``history``, ``create``
  ("New ticket"), ``mail`` (send again, release or discard incoming mail);
- ``viewsets`` (the configuration and mail-log screens, on wagtail-modeladmin), ``faq`` (FAQ snippets), ``forms``.

Every view asks ``access.ticket_policy`` and changes tickets only through ``workflow``.
"""
