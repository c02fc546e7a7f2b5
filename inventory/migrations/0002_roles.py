from django.db import migrations

from inventory.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
