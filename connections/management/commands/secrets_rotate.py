"""Re-encrypt every connection's secrets with the newest key of SECRETS_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand
from django.db import transaction

from connections import crypto
from connections.models import Connection


class Command(BaseCommand):
    help = (
        "Put a new key first in SECRETS_ENCRYPTION_KEYS (keep the old ones after it), run "
        "this, then drop the old keys."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        rotated = 0
        for connection in Connection.objects.select_for_update().exclude(secrets_encrypted=""):
            connection.secrets_encrypted = crypto.rotate(connection.secrets_encrypted)
            connection.save(update_fields=["secrets_encrypted"])
            rotated += 1
        self.stdout.write(f"Re-encrypted the secrets of {rotated} connection(s).")
