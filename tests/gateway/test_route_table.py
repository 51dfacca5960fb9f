"""The gateway's route table (gateway/routing.py): clashes are refused, literal paths beat {id} ones,
and the gateway loads no service's code but its published schemas. No broker needed."""
from __future__ import annotations


import pytest
from werkzeug.routing import Map, Rule

from gateway.routing import RouteClash, RouteGroup, RouteTable, route
from gateway.service import ROUTES, GatewayService


class _Tenants(RouteGroup):
    @route("GET", "/api/v1/things/<thing_id>", summary="one thing")
    def get_thing(self, request, thing_id):
        return {}


class _SameName(RouteGroup):
    @route("GET", "/api/v1/other", summary="another thing with the same route name")
    def get_thing(self, request):
        return {}


class _SamePath(RouteGroup):
    @route("GET", "/api/v1/things/<other_id>", summary="the same method and path, another parameter name")
    def read_thing(self, request, other_id):
        return {}


class _OtherMethod(RouteGroup):
    @route("PUT", "/api/v1/things/<thing_id>", summary="the same path, another method")
    def put_thing(self, request, thing_id):
        return {}


def test_two_groups_with_one_route_name_are_refused():
    with pytest.raises(RouteClash, match="get_thing"):
        RouteTable(_Tenants, _SameName)


def test_two_routes_with_one_method_and_path_are_refused():
    with pytest.raises(RouteClash, match="GET /api/v1/things"):
        RouteTable(_Tenants, _SamePath)


def test_the_same_path_with_another_method_is_fine():
    assert [r.name for r in RouteTable(_Tenants, _OtherMethod)] == ["get_thing", "put_thing"]


def test_the_gateway_table_has_no_clash_and_every_route_on_the_entrypoint():
    table = RouteTable(*ROUTES.groups)   # raises RouteClash on any clash
    assert len(table) == len(ROUTES) > 50
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    entrypoints = getattr(GatewayService.dispatch, ENTRYPOINT_EXTENSIONS_ATTR)
    assert {ep.route.name for ep in entrypoints} == {r.name for r in ROUTES}


def _url_map() -> Map:
    """The rules as the gateway's web server builds them (gateway/server.py ProblemWebServer.make_url_map:
    typed parameters matched as plain segments, literal siblings never taken for an {id})."""
    from gateway.contract import plain_rule
    from gateway.server import NotLiteralConverter, exclusive_urls
    url_map = Map(converters={"not_literal": NotLiteralConverter})
    rewritten = exclusive_urls([plain_rule(r.url) for r in ROUTES])
    for r in ROUTES:
        url_map.add(Rule(rewritten[plain_rule(r.url)], methods=r.method.split(","), endpoint=r.name))
    return url_map


@pytest.mark.parametrize("method,path,expected", [
    ("GET", "/api/v1/applications/shortlist", "application_shortlist"),
    ("POST", "/api/v1/applications/import", "import_application"),
    ("GET", "/api/v1/jobs/registry:job-1", "get_job"),
    ("GET", "/api/v1/applications/app-1", "get_application"),
    ("GET", "/api/v1/ledger/reconciliation.xlsx", "reconciliation_xlsx"),
    ("GET", "/api/v1/ledger/reconciliation", "reconciliation"),
])
def test_literal_segments_are_never_taken_for_an_id(method, path, expected):
    assert _url_map().bind("gw").match(path, method=method)[0] == expected


def test_every_route_is_matched_by_its_own_rule():
    """Each route's path with its parameters filled in reaches that route, never a sibling."""
    import re
    adapter = _url_map().bind("gw")
    for r in ROUTES:
        path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?[a-zA-Z_]\w*>", "some-id", r.url)
        for method in r.method.split(","):
            assert adapter.match(path, method=method)[0] == r.name, f"{method} {path}"


class _RecordingServices:
    def __init__(self):
        self.calls = []

    def call(self, service, method, *args, **kwargs):
        self.calls.append((service, method, kwargs))
        return {"service": service}


def _admin_routes(demo_mode: bool):
    from types import SimpleNamespace
    from gateway.routes.admin import AdminRoutes
    from shared.config import load_config
    config = {**load_config(environ={}), "DEMO_MODE": demo_mode}
    return AdminRoutes(SimpleNamespace(services=_RecordingServices(), config=config))


def test_the_clock_is_moved_only_in_demo_mode():
    from types import SimpleNamespace
    from shared.errors import Forbidden
    routes = _admin_routes(demo_mode=False)
    with pytest.raises(Forbidden, match="DEMO_MODE"):
        routes.set_clock(SimpleNamespace(body_json={"today": "2026-12-20"}))
    assert routes.services.calls == []


def test_the_clock_is_moved_through_one_service_which_tells_the_others():
    from types import SimpleNamespace
    from shared.config import service_names
    routes = _admin_routes(demo_mode=True)
    routes.set_clock(SimpleNamespace(body_json={"today": "2026-12-20", "reason": "rehearse December"}))
    first = service_names(routes.config)[0]
    assert routes.services.calls == [(first, "set_clock", {"today": "2026-12-20", "reason": "rehearse December"})]


def test_a_clock_move_with_unknown_fields_is_refused():
    from types import SimpleNamespace
    from shared.errors import ValidationFailed
    with pytest.raises(ValidationFailed):
        _admin_routes(demo_mode=True).set_clock(SimpleNamespace(body_json={"when": "tomorrow"}))
