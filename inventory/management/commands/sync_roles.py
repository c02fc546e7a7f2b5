"""Re-apply the role groups and their model permissions from inventory.roles."""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from inventory.roles import ROLE_PERMISSIONS, sync_roles


class Command(BaseCommand):
    help = "Create the role groups and set exactly the model permissions inventory.roles gives them (safe to re-run)."

    def handle(self, *args, **options):
        for app_label in ("auth", "inventory"):
            create_permissions(apps.get_app_config(app_label), verbosity=0)
        with transaction.atomic():
            sync_roles(Group, Permission)
        for role, codenames in ROLE_PERMISSIONS.items():
            self.stdout.write(f"{role}: {len(codenames)} permissions")
