from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations


def sync_roles(apps, schema_editor):
    # Re-applies inventory.roles.ROLE_PERMISSIONS: Administrators now manage warehouse grants.
    for app_label in ("auth", "inventory"):
        create_permissions(global_apps.get_app_config(app_label), verbosity=0)
    from inventory.roles import sync_roles as apply_roles

    apply_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_audit_log")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
