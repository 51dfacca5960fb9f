"""Operations (admin only): dead letters of every service, and the demo clock (DEMO_MODE only);
what day it is for the system, for every user (forms default to it, not to the browser's day)."""
from __future__ import annotations

from marshmallow import Schema, fields

from gateway.routes.health import ask_every_service
from gateway.routing import RouteGroup, route
from shared.config import service_names
from shared.errors import Forbidden, ValidationFailed
from shared.principal import ADMIN
from shared.schemas import load


class ClockMoveSchema(Schema):
    now = fields.String(metadata={"description": "ISO 8601 date-time with an offset, e.g. 2026-12-20T09:00:00+08:00"})
    today = fields.String(metadata={"description": "ISO date (09:00 Beijing time that day)"})
    reset = fields.Boolean(metadata={"description": "back to the configured clock (CLOCK_NOW/CLOCK_TODAY or real time)"})
    reason = fields.String(metadata={"description": "why (logged with the move)"})


class ClockTodaySchema(Schema):
    now = fields.String(metadata={"description": "the system's clock, ISO 8601 in UTC"})
    today = fields.String(metadata={"description": "the system's today in Beijing, ISO date (the rules are judged on it)"})


class AdminRoutes(RouteGroup):
    @route("GET", "/api/v1/admin/dead-letters", tags=["admin"], roles=(ADMIN,),
           summary="Events parked after failing every retry, all services (up to 500 each)")
    def list_dead_letters(self, request):
        items = []
        for name in service_names(self.config):
            items.extend(self.services.call(name, "list_dead_letters", page_size=500)["items"])
        return {"items": items, "total": len(items)}

    @route("POST", "/api/v1/admin/dead-letters/<service>/<dead_letter_id>/replay", tags=["admin"],
           roles=(ADMIN,), summary="Send a parked event to its handler again (after the cause is fixed)")
    def replay_dead_letter(self, request, service, dead_letter_id):
        names = service_names(self.config)
        if service not in names:
            raise ValidationFailed("unknown service", errors={"service": f"one of {', '.join(names)}"})
        return self.services.call(service, "replay_dead_letter", dead_letter_id)

    # -- the demo clock (a rehearsal walks a studio through weeks without restarting) --------
    @route("GET", "/api/v1/admin/clock", tags=["admin"], roles=(ADMIN,),
           summary="What every service's clock reads (now in UTC, today in Beijing) and how it was moved")
    def get_clock(self, request):
        return {"demo_mode": bool(self.config.get("DEMO_MODE")),
                "services": ask_every_service(self.services, self.config, "get_clock")}

    @route("GET", "/api/v1/clock", tags=["admin"], response=ClockTodaySchema,
           summary="What day it is for the system (its clock, which an admin may move in DEMO_MODE): any user")
    def get_today(self, request):
        reading = self.services.call(service_names(self.config)[0], "get_clock")
        return {"now": reading["now"], "today": reading["today"]}

    @route("PUT", "/api/v1/admin/clock", tags=["admin"], roles=(ADMIN,), body=ClockMoveSchema,
           summary="Move every service's clock to a moment or a day, or reset it (DEMO_MODE only; logged)",
           responses={403: "Not in DEMO_MODE"})
    def set_clock(self, request):
        if not self.config.get("DEMO_MODE"):
            raise Forbidden("the clock can be moved only in DEMO_MODE")
        move = load(ClockMoveSchema(), request.body_json)
        # one service moves it and broadcasts clock.moved to every service and replica
        return self.services.call(service_names(self.config)[0], "set_clock", **move)
