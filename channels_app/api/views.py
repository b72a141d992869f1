"""The API of channels: list them, and connect a new WhatsApp account (the QR code is then
shown on the channel's page). Connecting goes through the same service, and the same plan
check, as the portal."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from channels_app.models import Channel
from channels_app.services import ChannelError, ChannelErrorCode, whatsapp_connect
from tenants.companies.models import Company

from .serializers import ChannelConnectSerializer, ChannelSerializer


class ChannelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ChannelSerializer

    def get_queryset(self):
        return Channel.objects.select_related("connection").order_by("pk")

    @extend_schema(
        request=ChannelConnectSerializer,
        responses={201: ChannelSerializer},
        summary="Connect a WhatsApp account to a company (refused beyond the plan's channels)",
    )
    def create(self, request, *args, **kwargs):
        body = ChannelConnectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        company = get_object_or_404(Company, pk=body.validated_data["company"])
        try:
            channel = whatsapp_connect(company=company)
        except ChannelError as error:
            refused = error.code == ChannelErrorCode.LIMIT
            return Response(
                {"detail": error.message, "code": "channel_limit" if refused else str(error.code)},
                status=status.HTTP_403_FORBIDDEN
                if refused
                else status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response(self.get_serializer(channel).data, status=status.HTTP_201_CREATED)
