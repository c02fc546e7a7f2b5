"""The Access console: who may do what in which warehouse, bulk grants and revokes, and "view as"."""

from django import forms
from django.contrib import messages
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget, UnfoldAdminSelectWidget

from inventory import access, services
from inventory.models import Warehouse

PERMISSION_LABELS = {
    access.VIEW_STOCK: "view",
    access.OPERATE_STOCK: "operate",
    access.MANAGE_STOCK: "manage",
}


class BulkAccessForm(forms.Form):
    """Grant or revoke one warehouse permission for many users, groups and warehouses at once."""

    OPERATIONS = [("grant", "Grant"), ("revoke", "Revoke")]

    operation = forms.ChoiceField(choices=OPERATIONS, widget=UnfoldAdminSelectWidget)
    permission = forms.ChoiceField(
        choices=[
            (access.VIEW_STOCK, "View stock"),
            (access.OPERATE_STOCK, "Operate (receipts, issues, transfers)"),
            (access.MANAGE_STOCK, "Manage (adjustments, counts, exports)"),
        ],
        widget=UnfoldAdminSelectWidget,
        help_text="Granting replaces the level a user or role already has in that warehouse; "
        "revoking takes that permission away, with any stronger one that implies it.",
    )
    warehouses = forms.ModelMultipleChoiceField(
        # Transit warehouses take no grants: whoever sees a destination sees what is in transit to it.
        queryset=Warehouse.objects.holding().order_by("code"),
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
    )
    users = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True, is_superuser=False).order_by("username"),
        required=False,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
    )
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        label="Roles",
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
    )

    def clean(self):
        data = super().clean()
        if not data.get("users") and not data.get("groups"):
            raise forms.ValidationError("Choose at least one user or role.")
        return data


def _require_access_manager(request) -> None:
    if not access.can_manage_access(request.user):
        raise PermissionDenied


def console_view(request, admin_site):
    """The grant matrix and the bulk grant/revoke form."""
    _require_access_manager(request)
    form = BulkAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        operation = services.grant_warehouse_permission if data["operation"] == "grant" else _revoke
        try:
            changed = operation(
                actor=request.user,
                permission=data["permission"],
                warehouses=data["warehouses"],
                users=data["users"],
                groups=data["groups"],
            )
        except services.DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _outcome(data, changed))
            return HttpResponseRedirect(reverse("admin:access_console"))
    context = {
        **admin_site.each_context(request),
        "title": "Access",
        "form": form,
        "matrix": _matrix(),
    }
    return TemplateResponse(request, "backoffice/access/console.html", context)


def _revoke(*, actor, permission, warehouses, users, groups) -> int:
    return services.revoke_warehouse_permission(
        actor=actor, permission=permission, warehouses=warehouses, users=users, groups=groups
    )


def _outcome(data: dict, changed: int) -> str:
    verb = "Granted" if data["operation"] == "grant" else "Revoked"
    who = [user.username for user in data["users"]] + [group.name for group in data["groups"]]
    where = ", ".join(warehouse.code for warehouse in data["warehouses"])
    label = PERMISSION_LABELS[data["permission"]]
    if not changed:
        return f"Nothing to change: {', '.join(who)} already had that access in {where}."
    return f"{verb} {label} in {where} for {', '.join(who)} ({changed} change{'s' if changed != 1 else ''})."


def _matrix() -> dict:
    warehouses = list(Warehouse.objects.holding().order_by("code"))
    users = list(User.objects.filter(is_active=True).order_by("username").prefetch_related("groups"))
    groups = list(Group.objects.order_by("name"))
    levels = access.grant_levels(users=users, groups=groups)
    rows = []
    for group in groups:
        granted = levels.get(("group", group.pk), {})
        rows.append(
            {
                "kind": "Role",
                "name": group.name,
                "link": reverse("admin:inventory_role_change", args=[group.pk]),
                "roles": "",
                "cells": [PERMISSION_LABELS.get(granted.get(w.pk), "") for w in warehouses],
            }
        )
    for user in users:
        granted = levels.get(("user", user.pk), {})
        rows.append(
            {
                "kind": "User",
                "name": user.username,
                "link": reverse("admin:access_view_as", args=[user.pk]),
                "roles": "superuser" if user.is_superuser else ", ".join(g.name for g in user.groups.all()),
                "cells": [
                    "all" if user.is_superuser else PERMISSION_LABELS.get(granted.get(w.pk), "") for w in warehouses
                ],
            }
        )
    return {"warehouses": warehouses, "rows": rows}


def view_as_view(request, admin_site, user_id):
    """What one user can do: roles, warehouses, and their abilities in each."""
    _require_access_manager(request)
    subject = get_object_or_404(User, pk=user_id)
    context = {
        **admin_site.each_context(request),
        "title": f"Access of {subject.username}",
        "subject": subject,
        "roles": list(subject.groups.order_by("name")),
        "summary": access.access_summary(subject),
        "labels": PERMISSION_LABELS,
    }
    return TemplateResponse(request, "backoffice/access/view_as.html", context)
