"""Portal pages: conversations with customers, replying, resending a failed message."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .models import Conversation, Message
from .selectors import conversation_list, message_list
from .services import message_resend, message_send

REPLY_ATTACHMENT_MAX_BYTES = 16 * 1024 * 1024


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Reply"),
        max_length=4096,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": gettext_lazy("Write a reply…")}),
    )
    attachment = forms.FileField(label=gettext_lazy("Photo or file"), required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("attachment"):
            raise forms.ValidationError(gettext_lazy("Write a reply or attach a file."))
        attachment = data.get("attachment")
        if attachment and attachment.size > REPLY_ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(gettext_lazy("The file is larger than 16 MB."))
        return data


def _conversation(pk: int) -> Conversation:
    return get_object_or_404(
        Conversation.objects.select_related("contact", "channel__company", "channel__connection"),
        pk=pk,
    )


@require_GET
def conversations(request):
    return render(request, "conversations/list.html", {"conversations": conversation_list()})


@require_http_methods(["GET", "POST"])
def conversation_detail(request, pk: int):
    conversation = _conversation(pk)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        message_send(
            conversation=conversation,
            text=form.cleaned_data["text"],
            sent_by=request.user.email,
            attachment=form.cleaned_data["attachment"],
        )
        return redirect("conversation_detail", pk=pk)
    context = {
        "conversation": conversation,
        "messages_list": message_list(conversation=conversation),
        "form": form,
    }
    if request.htmx and request.htmx.target == "messages":
        return render(request, "conversations/detail.html#messages", context)
    status = 422 if form.errors else 200
    return render(request, "conversations/detail.html", context, status=status)


@require_POST
def message_resend_view(request, pk: int, message_id: int):
    message = get_object_or_404(Message, pk=message_id, conversation_id=pk)
    message_resend(message=message)
    messages.info(request, _("The message is being sent again."))
    return redirect("conversation_detail", pk=pk)
