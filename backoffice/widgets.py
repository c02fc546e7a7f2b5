"""Widget fixes shared by every admin form."""

from functools import cache

from django.contrib.admin.widgets import AutocompleteMixin
from django.core.exceptions import ValidationError

BIGINT = 2**63


class DropsUnusableIdsMixin:
    """An autocomplete re-shown after a bad value ("abc", "1e3", an id past bigint) shows it as unselected.

    Django's autocomplete widgets filter `pk__in` with whatever was posted to render
    the selected option, so such a value turned the form's own "Select a valid
    choice" error into a 500.
    """

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if self._usable(v)], attr)

    def _usable(self, value) -> bool:
        target = self.field.remote_field
        field = target.model._meta.get_field(getattr(target, "field_name", None) or target.model._meta.pk.name)
        try:
            converted = field.to_python(value)
        except (ValidationError, TypeError, ValueError):
            return False
        return not isinstance(converted, int) or -BIGINT < converted < BIGINT


@cache
def safe_autocomplete_class(widget_class: type) -> type:
    return type(f"Safe{widget_class.__name__}", (DropsUnusableIdsMixin, widget_class), {})


def make_safe(widget) -> None:
    """Give an autocomplete widget (Django's or unfold's) the safe behaviour, in place."""
    if isinstance(widget, AutocompleteMixin) and not isinstance(widget, DropsUnusableIdsMixin):
        widget.__class__ = safe_autocomplete_class(type(widget))
