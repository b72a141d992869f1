"""The billing page of the portal, Checkout and the customer portal, plan changes, and
Stripe's webhook endpoint on the public host."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from djstripe.views import ProcessWebhookView

from accounts.models import Membership
from channels_app.models import Channel
from channels_app.services import ChannelError, channels_in_use
from connections.models import Connection
from conversations.models import MonthlyUsage

from . import selectors, services, stripe_api
from .entitlements import ACTIVE, account_for, entitlements_for
from .models import Plan
from .stripe_api import BillingError


def _owner(request) -> None:
    if request.membership is None or request.membership.role != Membership.Role.OWNER:
        raise PermissionDenied(_("Only the business's owners manage its plan."))


def _absolute(request, name: str) -> str:
    return request.build_absolute_uri(reverse(name))


def _state_context(request) -> dict:
    business = request.tenant
    ent = entitlements_for(business)
    account = account_for(business)
    used = channels_in_use(business)
    month = MonthlyUsage.objects.order_by("-month").first()
    invoices = selectors.invoices_for(business)
    checkout = request.GET.get("checkout", "")
    return {
        "ent": ent,
        "invoices": invoices,
        "checkout": checkout,
        # Back from Checkout the page asks again until Stripe's news has come in by webhook:
        # the plan (which the return itself may already have read), then its invoice.
        "awaiting_stripe": checkout == "success" and (ent.state != ACTIVE or not invoices),
        "account": account,
        "used": used,
        "replies_used": month.assistant_replies if month else 0,
        "is_owner": request.membership is not None
        and request.membership.role == Membership.Role.OWNER,
    }


@require_GET
def billing_home(request):
    business = request.tenant
    session_id = request.GET.get("session_id", "")
    if session_id and request.GET.get("checkout") == "success":
        # Back from Checkout: read the result now rather than wait for the webhook.
        # If Stripe cannot be asked, the webhook will bring it; the page says it waits.
        with contextlib.suppress(BillingError):
            services.checkout_return(business=business, session_id=session_id)
    context = _state_context(request)
    context.update(
        {
            "plans": selectors.plans_public(),
            "online": selectors.online_payment_ready(),
            "stripe_configured": stripe_api.configured(),
            "sales_email": settings.SALES_EMAIL,
        }
    )
    return render(request, "billing/home.html", context)


@require_GET
def billing_status(request):
    """The plan box, polled after Checkout until Stripe's news has arrived, and the
    invoices (swapped in out of band)."""
    context = _state_context(request)
    state = render_to_string("billing/home.html#state", context, request=request)
    invoices = render_to_string(
        "billing/home.html#invoices", {**context, "oob": True}, request=request
    )
    return HttpResponse(state + invoices)


@require_POST
def checkout_view(request, code: str):
    _owner(request)
    plan = get_object_or_404(Plan, code=code, public=True)
    try:
        url = services.checkout_start(
            business=request.tenant,
            plan=plan,
            user=request.user,
            success_url=_absolute(request, "billing:home") + "?checkout=success",
            cancel_url=_absolute(request, "billing:home") + "?checkout=canceled",
        )
    except BillingError as error:
        messages.error(request, error.message)
        return redirect("billing:home")
    return _leave_for(request, url)


def _leave_for(request, url: str):
    """Send the browser to a Stripe page (a boosted htmx request is sent with HX-Redirect:
    an XMLHttpRequest cannot follow a redirect to another site)."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _connected_channels(business):
    return (
        Channel.objects.select_related("company", "connection")
        .exclude(connection__status=Connection.Status.DISCONNECTED)
        .exclude(platform=Connection.Platform.WEBCHAT)
        .order_by("company__name", "pk")
    )


def plan_change_view(request, code: str):
    """Confirm a change of plan; a plan with fewer channels lists them to choose from."""
    _owner(request)
    business = request.tenant
    plan = get_object_or_404(Plan, code=code, public=True)
    excess = services.plan_change_excess(business, plan)
    context = _state_context(request)
    context.update({"plan": plan, "excess": excess, "channels": _connected_channels(business)})
    if request.method == "POST":
        chosen = [int(pk) for pk in request.POST.getlist("disconnect") if pk.isdigit()]
        try:
            services.plan_change(business=business, plan=plan, disconnect=chosen)
        except services.ChannelsToChoose as error:
            context["error"] = error.message
            return render(request, "billing/change.html", context, status=422)
        except BillingError as error:
            if error.code == "no_subscription" and plan.sells_online:
                return checkout_view(request, code)
            messages.error(request, error.message)
            return redirect("billing:home")
        except ChannelError as error:  # WhatsApp could not be reached to disconnect
            context["error"] = error.message
            return render(request, "billing/change.html", context, status=422)
        messages.success(request, _("Your plan is now %(plan)s.") % {"plan": plan.name})
        return redirect("billing:home")
    return render(request, "billing/change.html", context)


@require_POST
def cancel_view(request):
    _owner(request)
    cancel = request.POST.get("action", "cancel") == "cancel"
    try:
        account = services.cancel_at_period_end_set(business=request.tenant, cancel=cancel)
    except BillingError as error:
        messages.error(request, error.message)
    else:
        if cancel:
            messages.success(
                request,
                _("Your subscription will end on %(day)s. You can resume it until then.")
                % {"day": account.current_period_end and account.current_period_end.date()},
            )
        else:
            messages.success(request, _("Your subscription will renew as usual."))
    return redirect("billing:home")


@require_POST
def portal_view(request):
    _owner(request)
    try:
        url = services.portal_url(
            business=request.tenant, return_url=_absolute(request, "billing:home")
        )
    except BillingError as error:
        messages.error(request, error.message)
        return redirect("billing:home")
    return _leave_for(request, url)


_webhook = ProcessWebhookView.as_view()


@csrf_exempt
def stripe_webhook(request, uuid):
    """dj-stripe's signed endpoint. dj-stripe would take the signing secret from an
    ``X-Djstripe-Webhook-Secret`` header when DEBUG is on; it is dropped, so only the
    endpoint's stored secret ever verifies an event."""
    request.META.pop("HTTP_X_DJSTRIPE_WEBHOOK_SECRET", None)
    request.__dict__.pop("headers", None)
    return _webhook(request, uuid=uuid)
