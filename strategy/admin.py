import logging
import re

from axes.helpers import get_client_ip_address
from diff_match_patch import diff_match_patch
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.html import escape, format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from import_export import fields, resources, widgets
from import_export.admin import ImportMixin
from import_export.instance_loaders import BaseInstanceLoader
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from strategy import services, signals
from strategy.models import (
    Commitment,
    Competitor,
    CustomerPriority,
    Measure,
    Membership,
    Objective,
    PositioningTheme,
    SSOIdentity,
    StrategicPosition,
    Unit,
)
from strategy.roles import ADMIN, EXECUTIVE
from twofactor import services as twofactor_services

User = get_user_model()
log = logging.getLogger(__name__)


class ChoiceWidget(widgets.CharWidget):
    """Accepts a choice by value or label, case-insensitively, and names the valid ones."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = choices

    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip().casefold()
        for key, label in self.choices:
            if text in (key.casefold(), str(label).casefold()):
                return key
        allowed = ", ".join(key for key, _label in self.choices)
        # Translators: a value of an import file that is not one of the allowed codes (listed).
        raise ValueError(
            _("“%(value)s” is not one of: %(allowed)s") % {"value": value, "allowed": allowed}
        )


class StylelessDiff(resources.Diff):
    """The import preview's diff, as import-export draws it but without its inline styles,
    which the Content Security Policy blocks (ins, del and span keep their default look)."""

    TAGS = {diff_match_patch.DIFF_INSERT: "ins", diff_match_patch.DIFF_DELETE: "del"}

    def as_html(self):
        cells = []
        dmp = diff_match_patch()
        for before, after in zip(self.left, self.right, strict=False):
            before, after = force_str(before), force_str(after)
            # Only a changed cell of a known row needs the character diff (the slow part).
            if self.new:
                cells.append(format_html("<ins>{}</ins>", after) if after else "")
            elif before == after:
                cells.append(escape(after))
            else:
                diff = dmp.diff_main(before, after)
                dmp.diff_cleanupSemantic(diff)
                cells.append(
                    format_html_join(
                        "",
                        "<{0}>{1}</{0}>",
                        ((self.TAGS.get(op, "span"), text) for op, text in diff),
                    )
                )
        return cells


class AllOrNothingImportMixin(ImportMixin):
    """The confirm step imports all rows or none, and says so when the file stopped validating
    after its preview (a parent unit deleted meanwhile, say)."""

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, UnicodeError):
            message = _(
                "The file is not UTF-8 text. Save it as “CSV UTF-8” (Excel: File › Save As) "
                "and upload it again."
            )
        else:
            fmt = self.get_import_formats()[int(form.cleaned_data["format"])]().get_title()
            # Translators: format is a file format's name, such as CSV or XLSX.
            message = _(
                "The file could not be read as a %(format)s file. Check that it is one, or choose "
                "the format it has."
            ) % {"format": fmt}
        log.info("import file not readable: %r", e)
        form.add_error("import_file", message)

    def get_import_data_kwargs(self, **kwargs):
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            problems = []
            for line, error in result.row_errors():
                problems.append(
                    _("row %(line)s: %(errors)s")
                    % {"line": line, "errors": "; ".join(str(e.error) for e in error)}
                )
            for row in result.invalid_rows:
                problems.append(
                    _("row %(line)s: %(errors)s") % {"line": row.number, "errors": row.error_dict}
                )
            # Translators: problems is a list of "row 3: ..." joined by " · ".
            messages.error(
                request,
                _("Nothing was imported: the file no longer validates. %(problems)s")
                % {"problems": " · ".join(problems[:10])},
            )
            return HttpResponseRedirect(
                reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_import")
            )
        return super().process_result(result, request)


class ImportFileError(Exception):
    """A problem with the whole file (a missing column, say), shown as a plain message."""


def _plain_errors(result):
    """No traceback on the page: a known problem keeps its message, anything else is logged
    with its traceback and shown as a sentence."""
    errors = [*result.base_errors, *(e for _line, row in result.row_errors() for e in row)]
    for error in errors:
        if not isinstance(error.error, ImportFileError | ValueError | ValidationError):
            log.error("import failed", exc_info=error.error)
            error.error = ImportFileError(
                _(
                    "This row could not be imported because of an error on our side; it was "
                    "logged. Nothing was saved."
                )
            )
        error.traceback = ""  # import-export renders it under each error
    return result


class BulkResource(resources.ModelResource):
    """A resource that looks rows up in memory: `before_import` loads what the file refers to
    in a few queries, so a row costs its own INSERT or UPDATE and no lookups."""

    required_columns: tuple[str, ...] = ()

    def import_data(self, dataset, **kwargs):
        headers = [str(h).strip() for h in (dataset.headers or [])]
        missing = [c for c in self.required_columns if c not in headers]
        if missing:
            result = self.get_result_class()()
            result.diff_headers = self.get_diff_headers()
            names = ", ".join(f"“{c}”" for c in missing)
            found = ", ".join(f"“{h}”" for h in headers if h) or _("none")
            # Translators: names are the missing columns' names, found those of the file.
            message = ngettext(
                "The file has no %(names)s column. The first line must name the columns; it "
                "names: %(found)s.",
                "The file has no %(names)s columns. The first line must name the columns; it "
                "names: %(found)s.",
                len(missing),
            ) % {"names": names, "found": found}
            result.append_base_error(self.get_error_result_class()(ImportFileError(message)))
            return _plain_errors(result)
        dataset.headers = headers
        result = _plain_errors(super().import_data(dataset, **kwargs))
        failed = result.has_errors() or result.has_validation_errors()
        if not kwargs.get("dry_run") and not failed:
            # Rows were written in bulk, without the save signals that other pages rely on.
            signals.organisation_imported.send(sender=self._meta.model)
        return result

    def before_import(self, dataset, **kwargs):
        self.import_user = kwargs.get("user")

    def creation_waves(self, instances: list) -> list[list]:
        """The new rows in the order they can be inserted (parents before children)."""
        return [instances]

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        # With history, as saving one by one would record it; any error is the whole file's.
        if self.create_instances and (using_transactions or not dry_run):
            try:
                for wave in self.creation_waves(self.create_instances):
                    bulk_create_with_history(
                        wave, self._meta.model, batch_size=500, default_user=self.import_user
                    )
            except Exception as exc:  # noqa: BLE001  (reported as the file's error, and logged)
                self.handle_import_error(result, exc, raise_errors)
            finally:
                self.create_instances.clear()

    def get_bulk_update_fields(self):
        model_fields = {f.name for f in self._meta.model._meta.concrete_fields}
        return [
            field.attribute
            for name, field in self.fields.items()
            if name not in self._meta.import_id_fields and field.attribute in model_fields
        ]

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.update_instances and (using_transactions or not dry_run):
            try:
                bulk_update_with_history(
                    self.update_instances,
                    self._meta.model,
                    self.get_bulk_update_fields(),
                    batch_size=500,
                    default_user=self.import_user,
                )
            except Exception as exc:  # noqa: BLE001
                self.handle_import_error(result, exc, raise_errors)
            finally:
                self.update_instances.clear()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # Foreign keys and uniqueness are checked against the in-memory maps of before_import:
        # full_clean would ask the database once per row and field.
        errors = dict(import_validation_errors or {})
        exclude = [*errors, *(f.name for f in instance._meta.concrete_fields if f.is_relation)]
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


class MapInstanceLoader(BaseInstanceLoader):
    """Existing rows from the resource's map, filled by before_import."""

    def get_instance(self, row):
        return self.resource.known_instance(row)


class MapWidget(widgets.Widget):
    """A foreign key by a natural key, found in `values`, the dict the resource fills in
    before_import; the error names the missing value."""

    def __init__(self, noun: str, key: str, **kwargs):
        super().__init__(**kwargs)
        self.noun, self.key, self.values = noun, key, {}

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return None
        found = self.values.get(text)
        if found is None:
            raise ValueError(self.missing_message() % {"value": text})
        return found

    def missing_message(self) -> str:
        """The error for a value that names no row, with a %(value)s placeholder."""
        if (self.noun, self.key) == ("unit", "code"):
            return _("no unit with code “%(value)s”")
        if (self.noun, self.key) == ("person", "username"):
            return _("no person with username “%(value)s”")
        return f"no {self.noun} with {self.key} “%(value)s”"

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else getattr(value, self.key)


class UnitResource(BulkResource):
    """Units by code; a parent must appear earlier in the file or already exist."""

    required_columns = ("code", "name", "level", "kind")

    level = fields.Field("level", "level", widget=ChoiceWidget(Unit.Level.choices))
    kind = fields.Field("kind", "kind", widget=ChoiceWidget(Unit.Kind.choices))
    parent = fields.Field("parent", "parent", widget=MapWidget("unit", "code"))
    is_active = fields.Field("is_active", "is_active", widget=widgets.BooleanWidget(), default=True)

    class Meta:
        model = Unit
        import_id_fields = ["code"]
        fields = ["code", "name", "level", "kind", "parent", "is_active"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        instance_loader_class = MapInstanceLoader
        use_bulk = True
        batch_size = None  # one flush at the end: a row's parent may be any earlier row

    def get_diff_class(self):
        return StylelessDiff

    def creation_waves(self, instances: list) -> list[list]:
        waves, placed, pending = [], set(), list(instances)
        while pending:
            # A unit goes in once its parent exists or is in an earlier wave.
            wave = [u for u in pending if u.parent is None or u.parent.pk or id(u.parent) in placed]
            if not wave:
                raise ImportFileError(_("The units' parents form a loop."))
            placed.update(id(u) for u in wave)
            waves.append(wave)
            pending = [u for u in pending if id(u) not in placed]
        return waves

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        units = list(Unit.objects.all())
        by_pk = {u.pk: u for u in units}
        for unit in units:  # the parents in memory, for the preview's parent column
            if unit.parent_id is not None:
                unit.parent = by_pk[unit.parent_id]
        self.units = {u.code: u for u in units}
        self.fields["parent"].widget.values = self.units

    def known_instance(self, row):
        return self.units.get(str(row.get("code") or "").strip())

    def after_save_instance(self, instance, row, **kwargs):
        self.units[instance.code] = instance  # a later row may name it as its parent


def _chunks(items: list, size: int = 2000):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class MembershipResource(BulkResource):
    """People and their place in the organisation: one row per (person, unit).

    A username not known yet creates that person from the email and name columns (they get an
    invitation once the import is confirmed). A known person is never changed: a different email
    or name in the file is reported in the preview's note column, not applied.
    """

    required_columns = ("username", "email", "unit", "role")

    username = fields.Field("user", "username", widget=MapWidget("person", "username"))
    unit = fields.Field("unit", "unit", widget=MapWidget("unit", "code"))
    role = fields.Field("role", "role", widget=ChoiceWidget(Membership.Role.choices))
    note = fields.Field("import_note", "note", widget=widgets.CharWidget())

    class Meta:
        model = Membership
        import_id_fields = ["username", "unit"]
        fields = ["username", "unit", "role", "note"]
        clean_model_instances = True
        instance_loader_class = MapInstanceLoader
        use_bulk = True
        batch_size = None

    def get_diff_class(self):
        return StylelessDiff

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.units = {u.code: u for u in Unit.objects.all()}
        rows = [{k: str(v or "").strip() for k, v in row.items()} for row in dataset.dict]
        usernames = sorted({r["username"] for r in rows} - {""})
        self.users = {}
        for chunk in _chunks(usernames):
            self.users |= {u.username: u for u in User.objects.filter(username__in=chunk)}
        emails = sorted({r["email"].casefold() for r in rows} - {""})
        owners = {}  # email → username of the account that has it
        for chunk in _chunks(emails):
            owners |= {
                email: username
                for email, username in User.objects.annotate(lower=Lower("email"))
                .filter(lower__in=chunk)
                .values_list("lower", "username")
            }
        self.problems, self.notes, new_users = {}, {}, {}
        first_line = {}  # email → (line, username) where the file first gives it
        for line, r in enumerate(rows, 1):
            problem = self._problem(r, line, owners, first_line, new_users)
            if problem:
                self.problems[line] = problem
        users = [
            User(
                username=name,
                email=r["email"],
                first_name=r.get("first_name", ""),
                last_name=r.get("last_name", ""),
                password=make_password(None),
            )
            for name, r in new_users.items()
        ]
        User.objects.bulk_create(users, batch_size=500)
        self.created_user_ids = [u.pk for u in users]
        self.users |= {u.username: u for u in users}
        self.fields["username"].widget.values = self.users
        self.fields["unit"].widget.values = self.units
        self.memberships = {}
        known = [u.pk for u in self.users.values()]
        units_by_pk = {u.pk: u for u in self.units.values()}
        users_by_pk = {u.pk: u for u in self.users.values()}
        for chunk in _chunks(known):
            for m in Membership.objects.filter(user_id__in=chunk):
                m.user, m.unit = users_by_pk[m.user_id], units_by_pk[m.unit_id]
                self.memberships[m.user_id, m.unit_id] = m

    def _problem(self, r, line, owners, first_line, new_users) -> str:
        """What is wrong with one line, or "" (and the note it gets in the preview)."""
        username, email = r["username"], r["email"]
        if not username:
            return _("username is empty")
        if len(username) > 150 or not re.fullmatch(r"[\w.@+-]+", username):
            return _("username “%(username)s” may only have letters, digits and @ . + - _") % {
                "username": username
            }
        if r["unit"] not in self.units:
            return _("no unit with code “%(value)s”") % {"value": r["unit"]}
        if email:
            try:
                validate_email(email)
            except ValidationError:
                return _("“%(email)s” is not a valid email address") % {"email": email}
            seen = first_line.setdefault(email.casefold(), (line, username))
            if seen[1] != username:
                return _("email “%(email)s” is also on line %(line)s, for “%(username)s”") % {
                    "email": email,
                    "line": seen[0],
                    "username": seen[1],
                }
            owner = owners.get(email.casefold())
            if owner is not None and owner != username:
                return _("email “%(email)s” belongs to another account, “%(username)s”") % {
                    "email": email,
                    "username": owner,
                }
        user = self.users.get(username)
        if user is None:
            earlier = new_users.get(username)
            if earlier is None:
                if not email:
                    return _(
                        "email is empty: %(username)s is new and needs one for the invitation"
                    ) % {"username": username}
                new_users[username] = r
                self.notes[username] = _("new person: an invitation goes to %(email)s") % {
                    "email": email
                }
            elif email and email.casefold() != earlier["email"].casefold():
                return _("“%(username)s” has another email on an earlier line") % {
                    "username": username
                }
            return ""
        differences = [
            # Translators: field is email, first name or last name: "email “a@b.c” in the file,
            # “a@d.e” on the account".
            _("%(field)s “%(in_file)s” in the file, “%(on_account)s” on the account")
            % {"field": label, "in_file": r[column], "on_account": getattr(user, column)}
            for column, label in (
                ("email", _("email")),
                ("first_name", _("first name")),
                ("last_name", _("last name")),
            )
            if r.get(column) and r[column] != getattr(user, column)
        ]
        if differences:
            self.notes[username] = _("kept as it is: %(differences)s") % {
                "differences": "; ".join(differences)
            }
        return ""

    def before_import_row(self, row, row_number=None, **kwargs):
        if row_number in self.problems:
            raise ValueError(self.problems[row_number])

    def known_instance(self, row):
        user = self.users.get(str(row.get("username") or "").strip())
        unit = self.units.get(str(row.get("unit") or "").strip())
        if user is None or unit is None:
            return None
        return self.memberships.get((user.pk, unit.pk))

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        user = getattr(instance, "user", None) if instance.user_id else None
        instance.import_note = self.notes.get(user.username, "") if user else ""

    def after_save_instance(self, instance, row, **kwargs):
        self.memberships[instance.user_id, instance.unit_id] = instance

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if result.has_errors() or result.has_validation_errors():
            return
        services.users_sync_role_groups(user_ids=[u.pk for u in self.users.values()])
        if not kwargs.get("dry_run"):
            services.users_invite(user_ids=self.created_user_ids)


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's revert form saves on POST after checking only the view permission;
    reverting is changing, so it needs the change permission."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and not self.has_change_permission(request):
            log.warning("refused history revert to %s on %s", request.user, request.path)
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ThemeInline(admin.TabularInline):
    model = PositioningTheme
    extra = 0


class PriorityInline(admin.TabularInline):
    model = CustomerPriority
    extra = 0


class CompetitorInline(admin.StackedInline):
    model = Competitor
    extra = 0


@admin.register(StrategicPosition)
class StrategicPositionAdmin(HistoryAdmin):
    list_display = ["fiscal_year", "status", "is_current", "published_at"]
    list_filter = ["status"]
    readonly_fields = ["is_current", "published_at", "published_by"]
    inlines = [ThemeInline, PriorityInline, CompetitorInline]


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 0


@admin.register(Objective)
class ObjectiveAdmin(HistoryAdmin):
    list_display = ["title", "position", "owner", "priority_weight", "theme", "retired_at"]
    list_filter = ["position", "theme"]
    search_fields = ["title", "description"]
    inlines = [MeasureInline]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Unit)
class UnitAdmin(AllOrNothingImportMixin, HistoryAdmin):
    resource_classes = [UnitResource]
    list_display = ["name", "code", "level", "kind", "parent", "is_active"]
    list_filter = ["level", "kind", "is_active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    autocomplete_fields = ["parent"]
    inlines = [MembershipInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for user in User.objects.filter(memberships__unit=form.instance).union(
            User.objects.filter(pk__in=self._touched_user_ids(formsets))
        ):
            services.user_sync_role_groups(user=user)

    @staticmethod
    def _touched_user_ids(formsets) -> list[int]:
        ids = []
        for formset in formsets:
            for form in formset.forms:
                user = form.cleaned_data.get("user") if hasattr(form, "cleaned_data") else None
                if user is not None:
                    ids.append(user.pk)
        return ids


@admin.register(Membership)
class MembershipAdmin(AllOrNothingImportMixin, HistoryAdmin):
    resource_classes = [MembershipResource]
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit"]
    search_fields = ["user__username", "user__last_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.user_sync_role_groups(user=obj.user)

    def delete_model(self, request, obj):
        user = obj.user
        super().delete_model(request, obj)
        services.user_sync_role_groups(user=user)


@admin.register(Commitment)
class CommitmentAdmin(HistoryAdmin):
    list_display = ["unit", "objective", "lever", "status", "due_on", "amount", "currency"]
    list_filter = ["lever", "status", "unit"]
    search_fields = ["statement", "target"]


admin.site.site_header = gettext_lazy("Alignment Reviews administration")
admin.site.site_title = "Alignment Reviews"


# --- People -----------------------------------------------------------------------------------

PRIVILEGED_GROUPS = (EXECUTIVE, ADMIN)
# What only a superuser may set on an account: the Admin role manages people, not powers.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "is_staff", "user_permissions", "password")


def _is_privileged(user) -> bool:
    return (
        user.is_superuser
        or user.is_staff
        or user.groups.filter(name__in=PRIVILEGED_GROUPS).exists()
    )


def _email_taken(email: str, *, other_than=None) -> bool:
    taken = User.objects.filter(email__iexact=email)
    if other_than is not None and other_than.pk:
        taken = taken.exclude(pk=other_than.pk)
    return taken.exists()


class InvitationForm(forms.ModelForm):
    """A new person, without a password: they choose one from their invitation."""

    class Meta:
        model = User
        fields = ["username", "email", "first_name", "last_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _("The invitation to choose a password goes here.")

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if _email_taken(email):
            raise forms.ValidationError(_("Another account already has this email address."))
        return email

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class PersonChangeForm(UserChangeForm):
    def clean_email(self):
        email = (self.cleaned_data.get("email") or "").strip()
        if email and _email_taken(email, other_than=self.instance):
            raise forms.ValidationError(_("Another account already has this email address."))
        return email


class PeopleAdminChangeForm(PersonChangeForm):
    """The change form of a non-superuser: no password at all, not even its read-only hash."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("password", None)


class SSOIdentityInline(admin.StackedInline):
    """Where the person's roles came from when they sign in through the provider: the claim's
    values, what they map to, what the last sign-in changed; each sign-in in its history."""

    model = SSOIdentity
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "issuer",
        "subject",
        "claim_values",
        "roles_from_claim",
        "last_changes",
        "last_sign_in_at",
        "sign_in_history",
    ]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("Sign-ins"))
    def sign_in_history(self, identity):
        rows = identity.history.order_by("-history_date")[:10]
        return format_html_join(
            "", "<div>{}: {}</div>", ((r.history_date, r.history_change_reason) for r in rows)
        )


admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    """Django's user admin, for superusers; for the Admin role, a people admin: no superuser,
    staff or permission fields, no Executive or Admin group, no password form, and accounts
    that hold those powers are read-only. People choose their password from an invitation."""

    form = PersonChangeForm
    actions = ["send_invitation", "reset_second_factor"]
    inlines = [SSOIdentityInline]

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        if obj is None:
            return [(None, {"fields": ["username", "email", "first_name", "last_name"]})]
        return [
            (None, {"fields": ["username"]}),
            (_("Personal info"), {"fields": ["first_name", "last_name", "email"]}),
            (_("Permissions"), {"fields": ["is_active", "groups"]}),
            (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ["last_login", "date_joined"]

    def get_form(self, request, obj=None, **kwargs):
        if not request.user.is_superuser:
            kwargs["form"] = InvitationForm if obj is None else PeopleAdminChangeForm
        return super().get_form(request, obj, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.exclude(name__in=PRIVILEGED_GROUPS)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and _is_privileged(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and _is_privileged(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if not request.user.is_superuser:
            # The bulk delete action asks for the model, not each account.
            perms_needed |= {str(u) for u in objs if _is_privileged(u)}
        return deleted, counts, perms_needed, protected

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and not request.user.is_superuser:
            self._refuse_powers(request)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _refuse_powers(self, request) -> None:
        """The page does not offer these to a non-superuser: a POST that sends them anyway is
        refused whole, not saved without them."""
        sent = [f for f in SUPERUSER_ONLY_FIELDS if f in request.POST]
        group_ids = [g for g in request.POST.getlist("groups") if g.isdigit()]
        if Group.objects.filter(pk__in=group_ids, name__in=PRIVILEGED_GROUPS).exists():
            sent.append("groups")
        if sent:
            log.warning("refused %s to %s on %s", ", ".join(sent), request.user, request.path)
            raise PermissionDenied

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser:
            log.warning("refused the password form to %s on %s", request.user, request.path)
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and not obj.has_usable_password():
            services.users_invite(user_ids=[obj.pk])

    @admin.action(description=gettext_lazy("Send an invitation to choose a password"))
    def send_invitation(self, request, queryset):
        invited = list(
            queryset.filter(is_active=True).exclude(email="").values_list("pk", "password")
        )
        ids = [pk for pk, password in invited if password.startswith(UNUSABLE_PASSWORD_PREFIX)]
        services.users_invite(user_ids=ids)
        skipped = queryset.count() - len(ids)
        text = ngettext(
            "Invitations are on their way to %(count)s people.",
            "Invitations are on their way to %(count)s people.",
            len(ids),
        ) % {"count": len(ids)}
        if skipped:
            text += " " + ngettext(
                "%(count)s already have a password, no email address or a closed account; "
                "they use “Forgotten your password?” on the login page.",
                "%(count)s already have a password, no email address or a closed account; "
                "they use “Forgotten your password?” on the login page.",
                skipped,
            ) % {"count": skipped}
        self.message_user(request, text, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Reset the second factor (a lost phone)"))
    def reset_second_factor(self, request, queryset):
        """Removes their authenticator and recovery codes: they sign in with their password and
        set up a new one (at once, when their role needs it). Not for accounts the admin may
        not change."""
        now = timezone.now()
        address = get_client_ip_address(request)
        allowed = [u for u in queryset if self.has_change_permission(request, u)]
        reset = [
            u
            for u in allowed
            if twofactor_services.factor_reset(user=u, by=request.user, now=now, address=address)
        ]
        text = ngettext(
            "The second factor of %(count)s people was reset.",
            "The second factor of %(count)s people was reset.",
            len(reset),
        ) % {"count": len(reset)}
        refused = len(queryset) - len(allowed)
        if refused:
            text += " " + ngettext(
                "%(count)s hold powers only a superuser may change.",
                "%(count)s hold powers only a superuser may change.",
                refused,
            ) % {"count": refused}
        self.message_user(request, text, messages.SUCCESS)
