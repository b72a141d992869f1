"""The business portal's dashboard and company pages."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tenants.companies.forms import CompanyForm
from tenants.companies.models import Company
from tenants.companies.selectors import company_counts, company_list
from tenants.companies.services import company_create, company_delete, company_update


def dashboard(request):
    from conversations.selectors import usage_this_month

    context = {
        "companies": company_list(),
        "counts": company_counts(),
        "usage": usage_this_month(),
    }
    return render(request, "companies/dashboard.html", context)


@require_http_methods(["GET", "POST"])
def company_new(request):
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        company = company_create(**form.cleaned_data)
        messages.success(request, _("Company %(name)s was created.") % {"name": company.name})
        return redirect("dashboard")
    status = 422 if form.errors else 200
    return render(request, "companies/company_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def company_edit(request, pk: int):
    company = get_object_or_404(Company, pk=pk)
    form = CompanyForm(request.POST or None, instance=company)
    if request.method == "POST" and form.is_valid():
        company_update(company=Company.objects.get(pk=pk), **form.cleaned_data)
        messages.success(request, _("Changes to %(name)s were saved.") % {"name": company.name})
        return redirect("dashboard")
    status = 422 if form.errors else 200
    context = {"form": form, "company": company}
    return render(request, "companies/company_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def company_remove(request, pk: int):
    company = get_object_or_404(Company, pk=pk)
    if request.method == "POST":
        company_delete(company=company)
        messages.success(request, _("Company %(name)s was deleted.") % {"name": company.name})
        return redirect("dashboard")
    return render(request, "companies/company_confirm_delete.html", {"company": company})
