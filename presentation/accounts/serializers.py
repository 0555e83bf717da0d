"""Account input and output shapes."""

from rest_framework import serializers

from presentation.fast_output import FastOutput
from presentation.schema import StrictInput


class RegisterInput(StrictInput):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )


class UserOutput(FastOutput):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()


class MeOutput(UserOutput):
    is_staff = serializers.BooleanField()


class TokenObtainInput(StrictInput):
    # Credentials are compared as sent: " demo" is not "demo".
    username = serializers.CharField(trim_whitespace=False)
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField(
        help_text="Send as `Authorization: Bearer <access>`."
    )
    refresh = serializers.CharField()


class TokenRefreshInput(StrictInput):
    refresh = serializers.CharField()


class AccessTokenOutput(serializers.Serializer):
    access = serializers.CharField()
