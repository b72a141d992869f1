"""Portal pages of one conversation: history, replies and notes, take-over, the contact's card,
and the business's quick replies."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Membership, User

from .models import Conversation, Message, QuickReply
from .selectors import message_list
from .services import (
    contact_update,
    conversation_assign,
    conversation_hand_back,
    conversation_mark_read,
    conversation_status_set,
    conversation_take_over,
    message_resend,
    message_send,
    note_add,
    quick_reply_save,
)

REPLY_ATTACHMENT_MAX_BYTES = 16 * 1024 * 1024


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Reply"),
        max_length=settings.MESSAGE_MAX_CHARS,
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "placeholder": gettext_lazy("Write a reply… (type / for quick replies)"),
                "data-quick-replies": "",
                "data-typing": "",
            }
        ),
    )
    attachment = forms.FileField(label=gettext_lazy("Photo or file"), required=False)
    note = forms.BooleanField(
        label=gettext_lazy("Internal note (only staff see it)"), required=False
    )

    def clean(self):
        data = super().clean()
        attachment = data.get("attachment")
        if not (data.get("text") or "").strip() and not attachment:
            raise forms.ValidationError(gettext_lazy("Write a reply or attach a file."))
        if attachment and data.get("note"):
            raise forms.ValidationError(gettext_lazy("A note cannot carry a file."))
        if attachment and attachment.size > REPLY_ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(gettext_lazy("The file is larger than 16 MB."))
        return data


class ContactForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    source = forms.CharField(label=gettext_lazy("Lead source"), max_length=200, required=False)
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        max_length=400,
        required=False,
        help_text=gettext_lazy("Separated by commas."),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QuickReplyForm(forms.ModelForm):
    class Meta:
        model = QuickReply
        fields = ["shortcut", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"shortcut": gettext_lazy("Type /shortcut in a reply to insert the text.")}


def _conversation(pk: int) -> Conversation:
    return get_object_or_404(
        Conversation.objects.select_related("contact", "channel__company", "channel__connection"),
        pk=pk,
    )


def _members(request) -> list[User]:
    return [
        membership.user
        for membership in Membership.objects.filter(business=request.tenant)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    ]


def _context(request, conversation: Conversation, form: ReplyForm | None = None) -> dict:
    members = _members(request)
    assignee = next((m for m in members if m.pk == conversation.assignee_id), None)
    contact = conversation.contact
    return {
        "conversation": conversation,
        "contact": contact,
        "assignee": assignee,
        "assignee_missing": conversation.assignee_id and assignee is None,
        "members": members,
        "messages_list": message_list(conversation=conversation),
        "form": form or ReplyForm(),
        "contact_form": ContactForm(
            initial={
                "name": contact.name,
                "email": contact.email,
                "source": contact.source,
                "tags": ", ".join(contact.tags),
                "notes": contact.notes,
            }
        ),
        "quick_replies": [
            {"shortcut": reply.shortcut, "text": reply.text}
            for reply in QuickReply.objects.all()[:200]
        ],
    }


@require_http_methods(["GET", "POST"])
def conversation_detail(request, pk: int):
    conversation = _conversation(pk)
    if request.method == "GET":
        conversation_mark_read(conversation=conversation)
        if request.htmx and request.htmx.target == "conversation-state":
            return render(
                request,
                "conversations/detail.html#state",
                _context(request, conversation),
            )
        return render(request, "conversations/detail.html", _context(request, conversation))
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        context = _context(request, conversation, form)
        if request.htmx:
            return render(request, "conversations/detail.html#reply", context, status=422)
        return render(request, "conversations/detail.html", context, status=422)
    if form.cleaned_data["note"]:
        message = note_add(
            conversation=conversation, author=request.user, text=form.cleaned_data["text"]
        )
    else:
        message = message_send(
            conversation=conversation,
            text=form.cleaned_data["text"],
            author=request.user,
            attachment=form.cleaned_data["attachment"],
        )
    if not request.htmx:
        return redirect("conversation_detail", pk=pk)
    # The new form, and the message at once (the socket's copy of it replaces this one).
    context = _context(request, conversation)
    context["sent"] = message
    return render(request, "conversations/detail.html#reply", context)


@require_POST
def message_resend_view(request, pk: int, message_id: int):
    message = get_object_or_404(Message, pk=message_id, conversation_id=pk)
    message_resend(message=message)
    if request.htmx:
        return HttpResponse(status=204)
    messages.info(request, _("The message is being sent again."))
    return redirect("conversation_detail", pk=pk)


@require_POST
def conversation_action(request, pk: int, action: str):
    """Take over, hand back, assign, resolve, reopen, archive."""
    conversation = _conversation(pk)
    if action == "take-over":
        conversation_take_over(conversation=conversation, user=request.user)
    elif action == "hand-back":
        conversation_hand_back(conversation=conversation)
    elif action == "assign":
        user_id = request.POST.get("assignee") or ""
        members = {str(member.pk): member for member in _members(request)}
        if user_id and user_id not in members:
            messages.error(request, _("Choose a member of this business."))
            return redirect("conversation_detail", pk=pk)
        conversation_assign(conversation=conversation, user=members.get(user_id))
    elif action in ("resolve", "reopen", "archive"):
        status = {
            "resolve": Conversation.Status.RESOLVED,
            "reopen": Conversation.Status.OPEN,
            "archive": Conversation.Status.ARCHIVED,
        }[action]
        conversation_status_set(conversation=conversation, status=status)
    else:
        return HttpResponse(status=404)
    if request.htmx:
        conversation.refresh_from_db()
        return render(request, "conversations/detail.html#state", _context(request, conversation))
    return redirect("conversation_detail", pk=pk)


@require_POST
def contact_edit(request, pk: int):
    conversation = _conversation(pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        contact_update(
            contact=conversation.contact,
            name=data["name"],
            email=data["email"],
            notes=data["notes"],
            source=data["source"],
            tags=data["tags"].split(","),
        )
        if not request.htmx:
            return redirect("conversation_detail", pk=pk)
        conversation.contact.refresh_from_db()
    context = _context(request, conversation)
    context["contact_form"] = form if form.errors else context["contact_form"]
    context["contact_saved"] = not form.errors
    return render(
        request,
        "conversations/detail.html#contact",
        context,
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def quick_replies(request, pk: int | None = None):
    instance = get_object_or_404(QuickReply, pk=pk) if pk else None
    form = QuickReplyForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        quick_reply_save(
            shortcut=form.cleaned_data["shortcut"],
            text=form.cleaned_data["text"],
            user=request.user,
            instance=instance,
        )
        messages.success(request, _("Quick reply saved."))
        return redirect("quick_replies")
    return render(
        request,
        "conversations/quick_replies.html",
        {"form": form, "editing": instance, "replies": QuickReply.objects.all()},
        status=422 if form.errors else 200,
    )


@require_POST
def quick_reply_delete(request, pk: int):
    get_object_or_404(QuickReply, pk=pk).delete()
    messages.success(request, _("Quick reply deleted."))
    return redirect("quick_replies")
