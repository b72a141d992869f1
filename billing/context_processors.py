from django.utils.functional import SimpleLazyObject


def billing(request) -> dict:
    """The business's entitlements for the banner of every portal page (read when used)."""
    tenant = getattr(request, "tenant", None)
    if getattr(request, "membership", None) is None or tenant is None:
        return {}

    def load():
        from .entitlements import entitlements_for

        return entitlements_for(tenant)

    return {"billing_ent": SimpleLazyObject(load)}
