"""The API of billing: what the business's plan allows now."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from billing.entitlements import BillingRestricted, entitlements_for
from channels_app.services import channels_in_use


class EntitlementsSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["trialing", "active", "past_due", "canceled", "expired"]
    )
    plan = serializers.CharField(allow_null=True)
    channels_allowed = serializers.IntegerField(allow_null=True, help_text="null: unlimited")
    channels_used = serializers.IntegerField()
    replies_per_month = serializers.IntegerField(allow_null=True, help_text="null: unlimited")
    read_only = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why the business is restricted, if it is.")
    ends_at = serializers.DateTimeField(allow_null=True)


class EntitlementsView(APIView):
    @extend_schema(
        responses=EntitlementsSerializer, summary="What the business's plan allows right now"
    )
    def get(self, request):
        ent = entitlements_for(request.tenant)
        data = {
            "state": ent.state,
            "plan": ent.plan.code if ent.plan else None,
            "channels_allowed": ent.channels_allowed,
            "channels_used": channels_in_use(request.tenant),
            "replies_per_month": ent.replies_per_month,
            "read_only": ent.read_only,
            "reason": ent.reason,
            "ends_at": ent.ends_at,
        }
        return Response(EntitlementsSerializer(data).data)


def api_exception_handler(exc, context):
    """DRF's handler, plus a plan's refusal as 403 with its reason and code."""
    if isinstance(exc, BillingRestricted):
        return Response({"detail": exc.message, "code": str(exc.code)}, status=403)
    return exception_handler(exc, context)
