from django.http import HttpResponseNotFound
from django.template.loader import render_to_string


def unknown_host(request):
    """A host name that belongs to no business (yet): a plain 404 naming no one."""
    return HttpResponseNotFound(render_to_string("unknown_host.html"))
