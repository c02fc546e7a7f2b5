"""Roles are called roles: listed and edited through a proxy of Django's Group; Administrators get its permissions."""

import django.contrib.auth.models
import django.db.models.deletion
from django.db import migrations, models

from inventory.roles import migrate_roles, rename_default_permissions

RENAMED = {"warehousegrouppermission": ("warehouse grant to group", "warehouse grant to role")}


def rename_permissions(apps, schema_editor):
    rename_default_permissions(apps, RENAMED)


def restore_permission_names(apps, schema_editor):
    rename_default_permissions(apps, {model: (new, old) for model, (old, new) in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("inventory", "0012_user_facing_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="Role",
            fields=[],
            options={
                "verbose_name": "role",
                "verbose_name_plural": "roles",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("auth.group",),
            managers=[
                ("objects", django.contrib.auth.models.GroupManager()),
            ],
        ),
        migrations.AlterModelOptions(
            name="warehousegrouppermission",
            options={"verbose_name": "warehouse grant to role"},
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("grant", "Granted"),
                    ("revoke", "Revoked"),
                    ("join", "Added to role"),
                    ("leave", "Removed from role"),
                ],
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="group",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="auth.group",
                verbose_name="role",
            ),
        ),
        migrations.RunPython(rename_permissions, restore_permission_names),
        migrations.RunPython(migrate_roles, migrations.RunPython.noop),
    ]
