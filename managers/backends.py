"""Platform admins may do everything in the admin, superuser or not."""

from __future__ import annotations


class PlatformAdminPermissionsBackend:
    """Grants every permission to active platform admins (``platform_role`` admin).

    It authenticates no one; it only answers permission questions, so Django's own checks
    (``has_perm``, ``has_module_perms``) treat a platform admin like a superuser. What a
    ModelAdmin refuses to everyone stays refused (deleting a business is for superusers).
    """

    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        return None

    def _is_platform_admin(self, user) -> bool:
        return bool(user.is_active and getattr(user, "platform_role", "") == "admin")

    def has_perm(self, user, perm: str, obj=None) -> bool:
        return self._is_platform_admin(user)

    def has_module_perms(self, user, app_label: str) -> bool:
        return self._is_platform_admin(user)
