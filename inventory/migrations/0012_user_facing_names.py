"""The names people see: background jobs (not data jobs), the access log (not access events)."""

from django.db import migrations

from inventory.roles import rename_default_permissions

RENAMED = {"datajob": ("data job", "background job"), "accessevent": ("access event", "access log entry")}


def rename_permissions(apps, schema_editor):
    rename_default_permissions(apps, RENAMED)


def restore_permission_names(apps, schema_editor):
    rename_default_permissions(apps, {model: (new, old) for model, (old, new) in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0011_sort_indexes"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="accessevent",
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name": "access log entry",
                "verbose_name_plural": "access log",
            },
        ),
        migrations.AlterModelOptions(
            name="datajob",
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [("manage_datajob", "Can see, cancel and retry everyone's background jobs")],
                "verbose_name": "background job",
            },
        ),
        migrations.RunPython(rename_permissions, restore_permission_names),
    ]
