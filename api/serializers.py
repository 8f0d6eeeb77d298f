"""What the API's resources look like, read from the same rows the pages show."""

from __future__ import annotations

from rest_framework import serializers

# --- References: what a resource says of another ---------------------------------------------


class UserRef(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.username


class UnitRef(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class Me(serializers.Serializer):
    user = UserRef()
    roles = serializers.ListField(child=serializers.CharField())
    heads = UnitRef(many=True, help_text="The teams you head.")
    token = serializers.DictField(
        allow_null=True, help_text="The token this request came with: name, scope, expires_at."
    )
