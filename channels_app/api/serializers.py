from rest_framework import serializers

from channels_app.models import Channel


class ChannelSerializer(serializers.ModelSerializer):
    company = serializers.IntegerField(source="company_id", read_only=True)
    status = serializers.CharField(source="connection.status", read_only=True)
    account_name = serializers.CharField(source="connection.account_name", read_only=True)

    class Meta:
        model = Channel
        fields = ["id", "company", "platform", "status", "account_name", "created_at"]


class ChannelConnectSerializer(serializers.Serializer):
    company = serializers.IntegerField(help_text="The company the channel answers for.")
    platform = serializers.ChoiceField(choices=["whatsapp"], default="whatsapp")
