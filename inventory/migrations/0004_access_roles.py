from django.db import migrations

from inventory.roles import migrate_roles


# Re-applies inventory.roles.ROLE_PERMISSIONS: Administrators now manage warehouse grants.
class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_audit_log")]

    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
