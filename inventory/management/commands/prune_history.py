"""Delete historical records older than a given age, for chosen models; a dry run unless --yes."""

import re
from datetime import timedelta

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import get_history_model_for_model

from inventory.audit import is_audited
from inventory.models import AuditEntry

UNITS = {"d": 1, "w": 7}


def parse_age(value: str) -> timedelta:
    """'365d', '12w' or a plain number of days."""
    match = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", value or "")
    if not match or int(match.group(1)) < 1:
        raise CommandError(f"--older-than must look like 365d or 12w; got {value!r}.")
    return timedelta(days=int(match.group(1)) * UNITS[match.group(2) or "d"])


class Command(BaseCommand):
    help = "Delete history (and its audit log entries) older than --older-than. Prints what it would do unless --yes."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, help="Age like 365d or 12w.")
        parser.add_argument(
            "--models", nargs="+", default=[], metavar="APP.MODEL", help="Audited models (default: all of them)."
        )
        parser.add_argument("--yes", action="store_true", help="Really delete; without it nothing is deleted.")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, older_than, models, yes, batch_size, **options):
        cutoff = timezone.now() - parse_age(older_than)
        for model in self._models(models):
            history = get_history_model_for_model(model).objects.filter(history_date__lt=cutoff)
            name = model._meta.label
            if not yes:
                self.stdout.write(
                    f"Would delete {history.count()} historical records of {name} older than {cutoff:%Y-%m-%d %H:%M}."
                )
                continue
            deleted = self._delete(model, history, batch_size, cutoff)
            self.stdout.write(f"Deleted {deleted} historical records of {name} older than {cutoff:%Y-%m-%d %H:%M}.")
        if not yes:
            self.stdout.write("Dry run: nothing was deleted. Add --yes to delete.")

    def _models(self, labels: list[str]) -> list:
        if not labels:
            return [model for model in apps.get_models() if is_audited(model)]
        models = []
        for label in labels:
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError):
                raise CommandError(
                    f"Unknown model {label!r}; use app_label.ModelName, e.g. inventory.Product."
                ) from None
            if not is_audited(model):
                raise CommandError(f"{model._meta.label} keeps no history.")
            models.append(model)
        return models

    def _delete(self, model, history, batch_size: int, cutoff) -> int:
        entries = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), timestamp__lt=cutoff)
        _delete_in_batches(entries, "id", batch_size)
        return _delete_in_batches(history, "history_id", batch_size)


def _delete_in_batches(queryset, pk_name: str, batch_size: int) -> int:
    """Delete in short transactions, so a big prune never holds long locks."""
    deleted = 0
    while True:
        ids = list(queryset.values_list(pk_name, flat=True)[:batch_size])
        if not ids:
            return deleted
        with transaction.atomic():
            queryset.model.objects.filter(**{f"{pk_name}__in": ids}).delete()
        deleted += len(ids)
