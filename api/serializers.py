"""Serializers shared by every app's API: the error body documented in the schema."""

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable error code, e.g. `not_found`, `invalid`.")
    detail = serializers.CharField(help_text="Human-readable explanation; wording may change.")
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Only for `invalid`: the messages per field.",
    )


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
