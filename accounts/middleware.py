from allauth.socialaccount.models import SocialApp
from django.http import Http404


class UnconfiguredProviderMiddleware:
    """A Google/Facebook log-in URL whose keys are not configured is simply not there (404)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, SocialApp.DoesNotExist):
            raise Http404("This log-in provider is not configured")
        return None
