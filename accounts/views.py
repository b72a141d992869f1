"""Sign-up (e-mail → code → password and business), the hand-off between hosts, the account."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import AccountsError
from accounts.forms import (
    AccountPreferencesForm,
    SignupCodeForm,
    SignupEmailForm,
    SignupFinishForm,
)
from accounts.services import (
    account_preferences_update,
    api_token_rotate,
    business_signup,
    login_handoff_create,
    login_handoff_redeem,
    signup_code_request,
    signup_code_verify,
)
from tenants.errors import TenantsError
from tenants.models import public_url
from tenants.selectors import business_list_for_user
from tenants.services import slug_validate

SESSION_EMAIL = "signup_email"
SESSION_VERIFIED = "signup_verified_email"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


@require_http_methods(["GET", "POST"])
def signup_email(request):
    form = SignupEmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signup_code_request(email=form.cleaned_data["email"], ip=_client_ip(request))
        except AccountsError as exc:
            form.add_error("email", exc.message)
        else:
            request.session[SESSION_EMAIL] = form.cleaned_data["email"].strip().lower()
            request.session.pop(SESSION_VERIFIED, None)
            return redirect("signup_code")
    status = 422 if form.errors else 200
    return render(request, "accounts/signup_email.html", {"form": form, "step": 1}, status=status)


@require_http_methods(["GET", "POST"])
def signup_code(request):
    email = request.session.get(SESSION_EMAIL)
    if not email:
        return redirect("signup")
    form = SignupCodeForm(request.POST or None)
    if request.method == "POST" and "resend" in request.POST:
        form = SignupCodeForm()
        try:
            signup_code_request(email=email, ip=_client_ip(request))
            messages.success(request, _("A new code is on its way."))
        except AccountsError as exc:
            messages.error(request, exc.message)
    elif request.method == "POST" and form.is_valid():
        try:
            signup_code_verify(email=email, code=form.cleaned_data["code"])
        except AccountsError as exc:
            form.add_error("code", exc.message)
        else:
            request.session[SESSION_VERIFIED] = email
            return redirect("signup_finish")
    status = 422 if form.errors else 200
    context = {"form": form, "email": email, "step": 2}
    return render(request, "accounts/signup_code.html", context, status=status)


@require_http_methods(["GET", "POST"])
def signup_finish(request):
    email = request.session.get(SESSION_VERIFIED)
    if not email:
        return redirect("signup")
    form = SignupFinishForm(request.POST or None, email=email)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, business = business_signup(
                email=email,
                password=data["password1"],
                business_name=data["business_name"],
                slug=data["slug"],
                full_name=data["full_name"],
            )
        except (AccountsError, TenantsError) as exc:
            form.add_error(None, exc.message)
        else:
            for key in (SESSION_EMAIL, SESSION_VERIFIED):
                request.session.pop(key, None)
            return _handoff_redirect(request, business, user=user)
    status = 422 if form.errors else 200
    context = {"form": form, "email": email, "step": 3}
    return render(request, "accounts/signup_finish.html", context, status=status)


def signup_redirect(request):
    return redirect(public_url("/signup/"))


@require_GET
def signup_slug_check(request):
    """HTMX: says whether a portal address can be taken, while the user types it."""
    slug = request.GET.get("slug", "")
    try:
        slug = slug_validate(slug)
    except TenantsError as exc:
        return render(request, "accounts/_slug_check.html", {"ok": False, "message": exc.message})
    return render(request, "accounts/_slug_check.html", {"ok": True, "slug": slug})


@require_GET
def login_handoff(request, token: str):
    """On a business host: redeem a hand-off ticket and log the user in here."""
    tenant = request.tenant
    if tenant.schema_name == "public":
        raise Http404
    try:
        user = login_handoff_redeem(token=token, business=tenant)
    except AccountsError as exc:
        messages.error(request, exc.message)
        return redirect("account_login")
    login(request, user, backend=BACKEND)
    return redirect("dashboard")


def _handoff_redirect(request, business, *, user=None):
    """Redirect to `business`'s host with a one-time ticket that logs the user in there."""
    token = login_handoff_create(user=user or request.user, business=business)
    path = reverse("login_handoff", args=[token], urlconf="config.urls_tenant")
    return redirect(business.portal_url(path))


@login_required
def after_login(request):
    """Where a log-in lands. On the public host: hand over to the user's business portal."""
    if request.tenant.schema_name != "public":
        return redirect("dashboard")
    businesses = list(business_list_for_user(user=request.user))
    if len(businesses) == 1:
        response = _handoff_redirect(request, businesses[0])
        # The portal session is the one that matters; this host's session ends here.
        logout(request)
        return response
    if not businesses and request.user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/choose_business.html", {"businesses": businesses})


@login_required
@require_POST
def business_switch(request, slug: str):
    """Hand the logged-in user over to another business they belong to."""
    business = get_object_or_404(business_list_for_user(user=request.user), slug=slug)
    return _handoff_redirect(request, business)


@login_required
@require_http_methods(["GET", "POST"])
def account_settings(request):
    from rest_framework.authtoken.models import Token

    token_key = None
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "rotate-token":
        token_key = api_token_rotate(user=request.user)
        messages.success(request, _("A new API token was created. Copy it now."))
    preferences = AccountPreferencesForm.for_user(
        request.user, request.POST if action == "preferences" else None
    )
    if action == "preferences" and preferences.is_valid():
        user = account_preferences_update(user=request.user, **preferences.cleaned_data)
        with translation.override(user.language):  # the page after this one speaks it
            messages.success(request, _("Your settings were saved."))
        response = redirect("account_settings")
        # The portal's language follows (the switch in the header sets the same cookie).
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response
    context = {
        "has_token": Token.objects.filter(user=request.user).exists(),
        "new_token": token_key,
        "businesses": business_list_for_user(user=request.user),
        "preferences": preferences,
    }
    if request.htmx and action == "rotate-token":
        return render(request, "accounts/settings.html#api-token", context)
    status = 422 if preferences.errors else 200
    return render(request, "accounts/settings.html", context, status=status)
