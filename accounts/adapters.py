from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are opened only through our sign-up, which also creates the business."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_signup_redirect_url(self, request):
        return reverse("signup")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Social log-in signs in existing accounts; new people sign up with their e-mail first."""

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False
