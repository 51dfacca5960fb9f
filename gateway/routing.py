"""Route groups and the route table: how the gateway's routes are declared and registered.

A route group is a class (``gateway/routes/<service>.py``) whose methods are declared with
``@route(method, url, ...)``. Its methods run with ``self`` a fresh group instance bound to the
gateway worker, so they call ``self.services.<service>.<rpc>(...)`` and read ``self.config``.
``RouteTable(*groups)`` collects every group's routes, refuses (``RouteClash``) two routes of
the same name or the same method and path, and registers one nameko entrypoint per route on
the gateway's single ``dispatch`` method, which calls the route's handler.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

JSON, UPLOAD, NONE = "json", "upload", None

_ROUTE_ATTR = "_gateway_route"
_PARAM = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


@dataclass(frozen=True, eq=False)
class Route:
    """One API operation: what the entrypoint checks and what the OpenAPI document says."""
    name: str                 # unique across the gateway: the OpenAPI operationId
    method: str
    url: str                  # werkzeug rule, e.g. /api/v1/studios/<studio_id>
    handler: Callable
    group: type
    summary: str
    tags: tuple = ()
    roles: tuple | None = None        # None: any authenticated role
    public: bool = False
    body: type | None = None          # marshmallow schema class of the JSON body
    body_kind: str | None = NONE
    response: type | None = None      # marshmallow schema class of the answer
    status: int = 200
    query: dict = field(default_factory=dict)   # name -> (type, description)
    produces: tuple = ("application/json",)
    responses: dict = field(default_factory=dict)
    idempotent_key: bool = False

    @property
    def path_pattern(self) -> str:
        """The path with its parameters unnamed: two routes with equal patterns are the same path."""
        return _PARAM.sub("{}", self.url)


def route(method: str, url: str, *, summary: str, tags=(), roles=None, public=False, body=None, body_kind=None,
          response=None, status: int = 200, query=None, produces=("application/json",), responses=None,
          idempotent_key=False):
    """Declare a route group method as an API operation (see ``Route`` for the options)."""
    options = dict(method=method.upper(), url=url, summary=summary, tags=tuple(tags),
                   roles=tuple(roles) if roles else None, public=public, body=body,
                   body_kind=body_kind or (JSON if body is not None else NONE), response=response,
                   status=status, query=dict(query or {}), produces=tuple(produces),
                   responses=dict(responses or {}),
                   # every creating route takes an Idempotency-Key (one rule for replays: gateway/replays.py)
                   idempotent_key=idempotent_key or (method.upper() == "POST" and status == 201))

    def declare(fn):
        setattr(fn, _ROUTE_ATTR, options)
        return fn
    return declare


class RouteGroup:
    """Base of every route group. An instance lives for one request, bound to the gateway worker."""

    def __init__(self, gateway):
        self.gateway = gateway
        self.services = gateway.services
        self.config = gateway.config

    @classmethod
    def routes(cls) -> list[Route]:
        """The routes this group declares itself, in the order written."""
        found = []
        for name, fn in vars(cls).items():
            options = getattr(fn, _ROUTE_ATTR, None)
            if options is not None:
                found.append(Route(name=name, handler=fn, group=cls, **options))
        return found


class RouteClash(Exception):
    """Two routes share a name, or a method and path: one of them would be lost."""


class RouteTable:
    """Every route of the gateway, from its route groups; clashes refused when built."""

    def __init__(self, *groups: type):
        self.groups = groups
        self.routes: list[Route] = []
        by_name: dict[str, Route] = {}
        by_path: dict[tuple[str, str], Route] = {}
        for group in groups:
            for r in group.routes():
                if r.name in by_name:
                    raise RouteClash(f"route name {r.name!r} is defined by {by_name[r.name].group.__name__} "
                                     f"and by {group.__name__}")
                by_name[r.name] = r
                for method in r.method.split(","):
                    key = (method, r.path_pattern)
                    if key in by_path:
                        raise RouteClash(f"{method} {r.url} ({group.__name__}.{r.name}) is already "
                                         f"{by_path[key].group.__name__}.{by_path[key].name} ({by_path[key].url})")
                    by_path[key] = r
                self.routes.append(r)

    def __iter__(self):
        return iter(self.routes)

    def __len__(self):
        return len(self.routes)

    def entrypoint(self, fn):
        """Decorate the gateway's ``dispatch(self, route, request, **path_values)``: one nameko
        HTTP entrypoint per route, all calling it."""
        from nameko.extensions import register_entrypoint
        from gateway.http import ApiRoute
        for r in self.routes:
            register_entrypoint(fn, ApiRoute(r))
        return fn
