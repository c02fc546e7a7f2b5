"""Users and roles, in unfold's look; Administrators end a user's sessions or reset their two-factor here."""

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.decorators import action
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from backoffice.security import end_all_sessions
from backoffice.views.two_factor import remove_second_factor
from inventory.models import Role


class RoleFilter(admin.RelatedFieldListFilter):
    """The user list's filter on groups, titled by what they are here: "By role"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "role"


admin.site.unregister(User)
admin.site.unregister(Group)
# django-otp's own device admins are plain Django screens; devices are managed from the user list instead.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


@admin.register(User)
class UserAdmin(DjangoUserAdmin, UnfoldModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_superuser", "is_active"]
    list_filter = ["is_staff", "is_superuser", "is_active", ("groups", RoleFilter)]
    actions = ["end_sessions", "reset_two_factor"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            # A user's groups are their roles; Django's field says "groups".
            formfield.label = "Roles"
            formfield.help_text = "The roles this user has; each role brings its permissions."
        return formfield

    @action(description="End all sessions of the selected users", permissions=["change"])
    def end_sessions(self, request, queryset):
        ended = sum(end_all_sessions(user, actor=request.user) for user in queryset)
        self.message_user(request, f"Ended {ended} sessions; those users must sign in again.", messages.SUCCESS)

    @action(description="Remove two-factor sign-in of the selected users", permissions=["change"])
    def reset_two_factor(self, request, queryset):
        removed = [
            user.username for user in queryset if remove_second_factor(user, request=request, actor=request.user)
        ]
        if not removed:
            self.message_user(request, "None of the selected users had two-factor sign-in.", messages.INFO)
            return
        self.message_user(
            request,
            f"Removed two-factor sign-in of {', '.join(removed)}. Where their role requires it, "
            "they enrol again at their next sign-in.",
            messages.SUCCESS,
        )


@admin.register(Role)
class RoleAdmin(DjangoGroupAdmin, UnfoldModelAdmin):
    """Django's group screens under the name Role (a proxy model), so pages, buttons and messages say "role"."""
