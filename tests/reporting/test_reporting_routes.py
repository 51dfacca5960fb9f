"""The gateway's reporting routes (R-10, R-11) declare their ``{year}`` and ``{kind}`` path segments:
a year 2000–2100, plan or results; the document says so and a bad value is a 422 naming the
parameter before any service is called (gateway/contract.py). No broker: the route table and
the check the entrypoint runs."""
from __future__ import annotations

import pytest

from gateway.contract import check_request, path_parameters
from gateway.service import ROUTES
from shared.errors import ValidationFailed

REPORTING = [r for r in ROUTES if "reporting" in r.tags]
YEAR = {"type": "integer", "minimum": 2000, "maximum": 2100}
KIND = {"type": "string", "enum": ["plan", "results"]}


def test_r10_every_reporting_year_and_kind_segment_is_declared_typed():
    typed = {"year": 0, "kind": 0}
    for route in REPORTING:
        for declared in path_parameters(route.url):
            if declared["name"] in typed:
                typed[declared["name"]] += 1
                assert declared["schema"] == (YEAR if declared["name"] == "year" else KIND), route.url
    assert typed["year"] >= 20 and typed["kind"] >= 8, typed


def _route(method: str, url_end: str):
    return next(r for r in REPORTING if r.method == method and r.url.endswith(url_end))


@pytest.mark.parametrize("method,url_end,values,named", [
    ("GET", "<any(plan,results):kind>", {"studio_id": "s", "year": "twenty", "kind": "plan"}, "year"),
    ("GET", "<any(plan,results):kind>", {"studio_id": "s", "year": "1999", "kind": "plan"}, "year"),
    ("PUT", "<any(plan,results):kind>", {"studio_id": "s", "year": "2026", "kind": "agreement"}, "kind"),
    ("GET", "<any(plan,results):kind>.xlsx", {"studio_id": "s", "year": "2026", "kind": "draft"}, "kind"),
    ("POST", "<any(plan,results):kind>/submit", {"studio_id": "s", "year": "2101", "kind": "plan"}, "year"),
    ("POST", "reports/<int(min=2000,max=2100):year>.xlsx", {"studio_id": "s", "year": "20x6"}, "year"),
    ("GET", "agreements/<int(min=2000,max=2100):year>", {"studio_id": "s", "year": "-1"}, "year"),
    ("PUT", "due-dates/<int(min=2000,max=2100):year>", {"year": "3000"}, "year"),
    ("GET", "kind>/versions/<int(min=1,max=100000):version>",
     {"studio_id": "s", "year": "2026", "kind": "plan", "version": "latest"}, "version"),
    ("GET", "agreements/<int(min=2000,max=2100):year>/versions/<int(min=1,max=100000):version>",
     {"studio_id": "s", "year": "2026", "version": "0"}, "version"),
])
def test_r11_a_bad_year_or_kind_is_a_422_naming_the_parameter(method, url_end, values, named):
    route = _route(method, url_end)
    with pytest.raises(ValidationFailed) as err:
        check_request(route.query, {}, {}, url=route.url, path_values=values)
    assert err.value.status == 422 and list(err.value.errors) == [named]


def test_r11_good_values_pass_the_declaration():
    for route in REPORTING:
        good = {"year": "2026", "kind": "results", "version": "2"}
        values = {d["name"]: good.get(d["name"], "x") for d in path_parameters(route.url)}
        check_request(route.query, {"year": "2026"} if "year" in route.query else {}, {}, url=route.url,
                      path_values=values)


def test_an_id_in_the_path_over_its_documented_200_characters_is_a_422_naming_it():
    """The fuzzer's case: a city user listing the inspections of a 201-character tenant got 200."""
    route = next(r for r in ROUTES if r.method == "GET" and r.url == "/api/v1/tenants/<tenant_id>/inspections")
    with pytest.raises(ValidationFailed) as err:
        check_request(route.query, {}, {}, url=route.url, path_values={"tenant_id": "0" * 201})
    assert err.value.status == 422 and err.value.errors == {"tenant_id": "at most 200 characters"}
    check_request(route.query, {}, {}, url=route.url, path_values={"tenant_id": "0" * 200})
