from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission


class IsBusinessMember(BasePermission):
    """Allow members of the business on whose host the request is made.

    Anyone else who is logged in gets a 404, as if nothing were here, so nothing about
    another business can be learned by probing its host.
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public":
            raise NotFound()
        from accounts.selectors import membership_get

        if membership_get(user=request.user, business=tenant) is None:
            raise NotFound()
        return True
