"""Account input and output shapes."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from business.accounts import ApiKeyRecord, Scope, key_prefix
from business.accounts.api_keys import NAME_MAX
from presentation.fast_output import FastOutput
from presentation.schema import StrictInput, enum_choice, page_serializer


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


class ApiKeyCreateInput(StrictInput):
    name = serializers.CharField(max_length=NAME_MAX, help_text="What the key is for.")
    scopes = serializers.ListField(
        child=enum_choice(Scope),
        # min_length, not allow_empty: only min_length reaches the schema (minItems).
        min_length=1,
        max_length=len(Scope),
        help_text="What the key may do; see the scope table in the README.",
    )
    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the key stops working (in the future); none: never.",
    )


class ApiKeyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    prefix = serializers.SerializerMethodField(
        help_text="The key's public start, to recognise it; not a secret."
    )
    name = serializers.CharField()
    scopes = serializers.ListField(child=enum_choice(Scope))
    created_by_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(
        allow_null=True, help_text="To the minute: uses are recorded once a minute."
    )

    @extend_schema_field(serializers.CharField())
    def get_prefix(self, key: ApiKeyRecord) -> str:
        return key_prefix(key)


class ApiKeyCreatedOutput(ApiKeyOutput):
    key = serializers.CharField(
        help_text="The secret: send as `Authorization: Bearer <key>`. Shown only "
        "in this answer; it is stored as a hash and cannot be shown again."
    )


ApiKeyPage = page_serializer(ApiKeyOutput, "ApiKeyPage")
