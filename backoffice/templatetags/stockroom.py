"""Template filters for our admin pages."""

from django import template

from backoffice import navigation

register = template.Library()


@register.filter
def named_as_in_sidebar(parts: list[dict]) -> list[dict]:
    """unfold's header breadcrumbs named as in the sidebar: "Stock › Movements ledger", not "Inventory › …".

    unfold starts with the app ("Inventory" for stock and catalog alike) and the model's verbose name; the
    crumb that links to a sidebar list takes that item's title, and the app crumb before it the group's.
    """
    names = navigation.breadcrumb_names()
    renamed = [dict(part) for part in parts]
    for index, part in enumerate(renamed):
        found = names.get(str(part.get("link") or ""))
        if found is None:
            continue
        group, item = found
        part["title"] = item
        if index > 0:
            # The group has no page of its own; the app index it linked to listed models under "Inventory".
            renamed[index - 1] = {"title": group, "link": ""}
        break
    return renamed
