"""Ledger routes: each studio's dedicated account (专门账目), its entries, fixed-asset register and
fund compliance, and the yearly reconciliation as JSON and .xlsx (ledger, R-20 … R-25)."""
from __future__ import annotations

from gateway.contract import one_of, param, year
from gateway.http import idempotency_key, query_args
from gateway.replays import REPLAYED
from gateway.responses import PAGING, PAGING_ARGS, XLSX, xlsx_response
from gateway.routing import RouteGroup, route
import services.ledger.schemas as ledger
from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER, FINANCE, TENANT, UNIT

ACCOUNT = "/api/v1/studios/<studio_id>/account"
RECONCILERS = (FINANCE, CITY_CENTER, CITY_BUREAU, ADMIN, TENANT)
YEAR = {"year": year("the calendar year (Beijing time), e.g. 2025", required=True)}
TENANT_FILTER = {"tenant_id": param("string", "one tenant (city roles; a tenant user gets its own anyway)")}


class LedgerRoutes(RouteGroup):
    @route("GET", "/api/v1/ledger/accounts", tags=["ledger"], response=ledger.LedgerAccountPageSchema,
           query={**PAGING, **TENANT_FILTER},
           summary="Dedicated accounts you can see: balances by source, spent by category, unspent city funds")
    def list_accounts(self, request):
        return self.services.ledger.list_accounts(**query_args(request, *PAGING_ARGS, "tenant_id"))

    @route("GET", ACCOUNT, tags=["ledger"], response=ledger.LedgerAccountSchema,
           summary="A studio's dedicated account (derived from its entries; R-24)")
    def get_account(self, request, studio_id):
        return self.services.ledger.get_account(studio_id)

    @route("GET", f"{ACCOUNT}/entries", tags=["ledger"], response=ledger.LedgerEntryPageSchema,
           query={**PAGING, "kind": one_of("the entry's kind", ledger.ENTRY_KINDS),
                  "year": year("entries booked in that calendar year (Beijing time)")},
           summary="The account's journal entries, oldest first (never edited or deleted)")
    def list_entries(self, request, studio_id):
        return self.services.ledger.list_entries(studio_id, **query_args(request, *PAGING_ARGS, "kind",
                                                                         "year"))

    @route("POST", f"{ACCOUNT}/entries", tags=["ledger"], roles=(UNIT,), body=ledger.EntryRequestSchema,
           response=ledger.LedgerBookingSchema, status=201, idempotent_key=True,
           summary="Book matching funds (R-23), an expenditure (R-22: no more city money than the account "
                   "holds; fixed assets registered) or a reversal (R-24) for your unit's studio")
    def book_entry(self, request, studio_id):
        booked = self.services.ledger.book_entry(studio_id, request.body_json, idempotency_key(request))
        # a replay the ledger recognised (e.g. after a gateway restart): the first answer's status again
        return 201, booked["entry"], ({} if booked["created"] else {REPLAYED: "true"})

    @route("GET", f"{ACCOUNT}/fixed-assets", tags=["ledger"], response=ledger.LedgerFixedAssetRegisterSchema,
           summary="The studio's fixed-asset register (R-22 登记造册): items at or above the threshold")
    def fixed_assets(self, request, studio_id):
        return self.services.ledger.fixed_assets(studio_id)

    @route("GET", f"{ACCOUNT}/compliance", tags=["ledger"], response=ledger.LedgerComplianceSchema,
           query={"cycle": param("integer", "funding cycle (R-25), default the current one", minimum=1, maximum=10**6),
                  "next_assessment_at": param("string", "ISO date of the next assessment (the R-22 deadline)",
                                              format="date"),
                  "as_of": param("string", "ISO date-time to judge at (default now)", format="date-time")},
           summary="Fund compliance of a cycle: matching ≥ city funds (R-23), city funds used before "
                   "the next assessment (R-22)")
    def compliance(self, request, studio_id):
        return self.services.ledger.compliance(studio_id, **query_args(request, "cycle", "next_assessment_at",
                                                                       "as_of"))

    @route("GET", f"{ACCOUNT}/verification", tags=["ledger"], roles=(ADMIN, FINANCE),
           response=ledger.LedgerVerificationSchema,
           summary="Rebuild the account's stored balances from its entries and compare")
    def verify_account(self, request, studio_id):
        return self.services.ledger.verify_account(studio_id)

    @route("GET", "/api/v1/ledger/verification", tags=["ledger"], roles=(ADMIN, FINANCE),
           response=ledger.LedgerVerificationReportSchema,
           summary="Rebuild every account's stored balances from the entries and compare")
    def verify_all(self, request):
        return self.services.ledger.verify_projection()

    @route("GET", "/api/v1/ledger/reconciliation", tags=["ledger"], roles=RECONCILERS,
           response=ledger.LedgerReconciliationSchema, query={**YEAR, **TENANT_FILTER},
           summary="A year's reconciliation per studio, per tenant and for the city: opening balance, "
                   "received, spent by category, clawed back, closing balance, matching ratio")
    def reconciliation(self, request):
        return self.services.ledger.reconciliation(**query_args(request, "year", "tenant_id"))

    @route("GET", "/api/v1/ledger/reconciliation.xlsx", tags=["ledger"], roles=RECONCILERS, produces=(XLSX,),
           query={**YEAR, **TENANT_FILTER},
           summary="The year's reconciliation as an .xlsx workbook (Chinese headers, totals as formulas)")
    def reconciliation_xlsx(self, request):
        return xlsx_response(self.services.ledger.reconciliation_xlsx(**query_args(request, "year", "tenant_id")))
