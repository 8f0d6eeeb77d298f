import logging

from diff_match_patch import diff_match_patch
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.html import format_html_join
from import_export import fields, resources, widgets
from import_export.admin import ImportMixin
from simple_history.admin import SimpleHistoryAdmin

from alignment import services
from alignment.models import (
    Commitment,
    Competitor,
    CustomerPriority,
    Measure,
    Membership,
    Objective,
    PositioningTheme,
    StrategicPosition,
    Unit,
)

User = get_user_model()
log = logging.getLogger(__name__)


class ClearForeignKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key by a natural key, with an error that names the missing value."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        try:
            return super().clean(str(value).strip(), row=row, **kwargs)
        except self.model.DoesNotExist as exc:
            raise ValueError(
                f"no {self.model._meta.verbose_name} with {self.field} “{value}”"
            ) from exc


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
        allowed = ", ".join(key for key, _ in self.choices)
        raise ValueError(f"“{value}” is not one of: {allowed}")


class StylelessDiff(resources.Diff):
    """The import preview's diff, as import-export draws it but without its inline styles,
    which the Content Security Policy blocks (ins, del and span keep their default look)."""

    TAGS = {diff_match_patch.DIFF_INSERT: "ins", diff_match_patch.DIFF_DELETE: "del"}

    def as_html(self):
        cells = []
        dmp = diff_match_patch()
        for before, after in zip(self.left, self.right, strict=False):
            if before != after and self.new:
                before = ""
            diff = dmp.diff_main(force_str(before), force_str(after))
            dmp.diff_cleanupSemantic(diff)
            cells.append(
                format_html_join(
                    "", "<{0}>{1}</{0}>", ((self.TAGS.get(op, "span"), text) for op, text in diff)
                )
            )
        return cells


class AllOrNothingImportMixin(ImportMixin):
    """The confirm step imports all rows or none, and says so when the file stopped validating
    after its preview (a parent unit deleted meanwhile, say)."""

    def get_import_data_kwargs(self, **kwargs):
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            problems = []
            for line, error in result.row_errors():
                problems.append(f"row {line}: {'; '.join(str(e.error) for e in error)}")
            for row in result.invalid_rows:
                problems.append(f"row {row.number}: {row.error_dict}")
            messages.error(
                request,
                "Nothing was imported: the file no longer validates. " + " · ".join(problems[:10]),
            )
            return HttpResponseRedirect(
                reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_import")
            )
        return super().process_result(result, request)


class UnitResource(resources.ModelResource):
    """Units by code; a parent must appear earlier in the file or already exist."""

    level = fields.Field("level", "level", widget=ChoiceWidget(Unit.Level.choices))
    kind = fields.Field("kind", "kind", widget=ChoiceWidget(Unit.Kind.choices))
    parent = fields.Field("parent", "parent", widget=ClearForeignKeyWidget(Unit, field="code"))
    is_active = fields.Field("is_active", "is_active", widget=widgets.BooleanWidget(), default=True)

    class Meta:
        model = Unit
        import_id_fields = ["code"]
        fields = ["code", "name", "level", "kind", "parent", "is_active"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def get_diff_class(self):
        return StylelessDiff


class MembershipResource(resources.ModelResource):
    """People and their place in the organisation: one row per (person, unit).

    Users are created or updated from the username, email and name columns.
    """

    username = fields.Field("user", "username", widget=ClearForeignKeyWidget(User, "username"))
    unit = fields.Field("unit", "unit", widget=ClearForeignKeyWidget(Unit, field="code"))
    role = fields.Field("role", "role", widget=ChoiceWidget(Membership.Role.choices))

    class Meta:
        model = Membership
        import_id_fields = ["username", "unit"]
        fields = ["username", "unit", "role"]
        clean_model_instances = True

    def get_diff_class(self):
        return StylelessDiff

    def before_import_row(self, row, **kwargs):
        username = (row.get("username") or "").strip()
        if not username:
            raise ValueError("username is empty")
        given = {
            field: (row.get(field) or "").strip() for field in ("email", "first_name", "last_name")
        }
        user, created = User.objects.get_or_create(username=username, defaults=given)
        if created:
            user.set_unusable_password()  # they set one through the password reset email
            user.save(update_fields=["password"])
            return
        # A known person: the file's non-empty values update them; empty cells change nothing.
        changed = [f for f, value in given.items() if value and getattr(user, f) != value]
        for f in changed:
            setattr(user, f, given[f])
        if changed:
            user.save(update_fields=changed)

    def after_save_instance(self, instance, row, **kwargs):
        services.user_sync_role_groups(user=instance.user)


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


admin.site.site_header = "Alignment Reviews administration"
admin.site.site_title = "Alignment Reviews"
