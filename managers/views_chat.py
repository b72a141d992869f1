"""Pages of the chat between a business and its manager.

On a business's host (members only, see ``BusinessMemberMiddleware``): "Your manager", the
chat with the assigned manager, and the unread count for the portal's navigation. On the
public host, inside the admin (wrapped in ``admin.site.admin_view`` by the URLs): the list
of chats and one business's chat, each checking by itself who may see it.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from . import chat
from .chat import ChatError, ChatErrorCode, Side


class ChatMessageForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Message"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "maxlength": chat.MESSAGE_MAX_CHARS,
                "placeholder": gettext_lazy("Write a message…"),
                "data-chat-input": "",
            }
        ),
    )

    def clean_text(self) -> str:
        try:
            return chat.chat_text_clean(self.cleaned_data.get("text"))
        except ChatError as error:
            raise forms.ValidationError(error.message, code=str(error.code)) from error


def _send(request, form: ChatMessageForm, *, business, side: str):
    """The message sent, or None with the reason added to the form."""
    if not form.is_valid():
        return None
    try:
        return chat.chat_message_send(
            business=business, author=request.user, side=side, text=form.cleaned_data["text"]
        )
    except ChatError as error:
        if error.code == ChatErrorCode.NOT_FOUND:
            raise Http404(error.message) from error
        form.add_error(None, error.message)
        return None


def _thread_refresh(request) -> bool:
    return bool(request.htmx and request.htmx.target == "chat-thread")


# The business's side ------------------------------------------------------------------------


def _portal_context(request, form: ChatMessageForm | None = None, sent=None) -> dict:
    business = request.tenant
    assignment = chat.chat_assignment(business=business)
    return {
        "assignment": assignment,
        "manager": assignment.manager if assignment else None,
        "chat_messages": chat.chat_messages(business=business) if assignment else [],
        "viewer_side": Side.BUSINESS,
        "form": form or ChatMessageForm(),
        "sent": sent,
        "support_email": settings.SUPPORT_EMAIL,
        "post_url": request.path,
    }


@require_http_methods(["GET", "POST"])
def chat_home(request):
    business = request.tenant
    if request.method == "GET":
        chat.chat_mark_read(business=business, reader=request.user, reader_side=Side.BUSINESS)
        context = _portal_context(request)
        if _thread_refresh(request):
            return render(request, "managers/chat/_thread.html", context)
        return render(request, "managers/chat/home.html", context)
    form = ChatMessageForm(request.POST)
    message = _send(request, form, business=business, side=Side.BUSINESS)
    if message is None:
        context = _portal_context(request, form)
        template = "managers/chat/_reply.html" if request.htmx else "managers/chat/home.html"
        return render(request, template, context, status=422)
    if not request.htmx:
        return redirect("manager:home")
    return render(request, "managers/chat/_reply.html", _portal_context(request, sent=message))


@require_GET
def chat_unread_badge(request):
    """The number of the manager's messages the business has not read, for the navigation."""
    count = chat.chat_unread_count(business=request.tenant, reader_side=Side.BUSINESS)
    return render(request, "managers/chat/_unread_badge.html", {"count": count})


# The manager's side (inside the admin) ------------------------------------------------------


def _staff_only(request) -> None:
    if not chat.chat_staff_allowed(user=request.user):
        raise Http404(_("This chat does not exist."))


@require_GET
def chat_index(request):
    _staff_only(request)
    context = {
        **admin.site.each_context(request),
        "title": _("Chats with businesses"),
        "rows": chat.chat_rows(user=request.user),
    }
    return render(request, "admin/managers/chat/index.html", context)


def _admin_context(request, business, form=None, sent=None) -> dict:
    assignment = chat.chat_assignment(business=business)
    return {
        **admin.site.each_context(request),
        "title": _("Chat with %(business)s") % {"business": business.name},
        "chat_business": business,
        "manager": assignment.manager if assignment else None,
        "chat_messages": chat.chat_messages(business=business),
        "viewer_side": Side.MANAGER,
        "form": form or ChatMessageForm(),
        "sent": sent,
        "post_url": request.path,
    }


@require_http_methods(["GET", "POST"])
def chat_business(request, business_id: int):
    _staff_only(request)
    try:
        business = chat.chat_business_for_manager(user=request.user, business_id=business_id)
    except ChatError as error:
        raise Http404(error.message) from error
    if request.method == "GET":
        chat.chat_mark_read(business=business, reader=request.user, reader_side=Side.MANAGER)
        context = _admin_context(request, business)
        if _thread_refresh(request):
            return render(request, "managers/chat/_thread.html", context)
        return render(request, "admin/managers/chat/business.html", context)
    form = ChatMessageForm(request.POST)
    message = _send(request, form, business=business, side=Side.MANAGER)
    if message is None:
        context = _admin_context(request, business, form)
        template = (
            "managers/chat/_reply.html" if request.htmx else "admin/managers/chat/business.html"
        )
        return render(request, template, context, status=422)
    if not request.htmx:
        return redirect("x8_chat:business", business_id=business.pk)
    return render(
        request, "managers/chat/_reply.html", _admin_context(request, business, sent=message)
    )
