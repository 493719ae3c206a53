"""The private storage of attachments.

Attachments never live under the public media URL: they are read back only through the download
view, which applies the access rules. A site points them at any Django storage (S3 through
django-storages, for example) by adding a ``wagtail_support_attachments`` entry to ``STORAGES``.
"""

import functools
import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.files.storage.handler import InvalidStorageError
from django.core.signals import setting_changed
from django.dispatch import receiver

from .conf import support_settings


class PrivateFileSystemStorage(FileSystemStorage):
    """A file system storage with no public URL."""

    def url(self, name):
        raise ValueError("Attachments are private: link to the download view instead.")


def default_attachments_root():
    if support_settings.ATTACHMENTS_ROOT:
        return str(support_settings.ATTACHMENTS_ROOT)
    media_root = os.path.abspath(str(settings.MEDIA_ROOT or "media"))
    return os.path.join(os.path.dirname(media_root), "support-attachments")


@functools.cache
def attachment_storage():
    try:
        return storages[support_settings.ATTACHMENT_STORAGE]
    except InvalidStorageError:
        return PrivateFileSystemStorage(location=default_attachments_root(), base_url=None)


def get_attachment_storage():
    # A module-level callable so that the FileField's migration does not freeze a storage instance.
    return attachment_storage()


@receiver(setting_changed)
def _reset_storage(*, setting, **kwargs):
    # Tests swap storages with override_settings; drop the cached storage so it is built again.
    if setting.startswith("WAGTAILSUPPORT_") or setting in {"STORAGES", "MEDIA_ROOT"}:
        attachment_storage.cache_clear()
