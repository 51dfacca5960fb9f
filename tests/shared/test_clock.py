"""The one clock (shared/clock.py): its setting, and moving it in DEMO_MODE (issue 13)."""
from datetime import date, datetime, timezone

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter

from shared.clock import Clock, ClockReading, Today, parse_clock_setting
from shared.config import load_config
from shared.principal import ADMIN, CITY_CENTER, Principal


def test_a_bad_clock_setting_stops_start_up_naming_it():
    with pytest.raises(SystemExit, match="CLOCK_TODAY"):
        load_config(environ={"CLOCK_TODAY": "2026-13-01"})
    with pytest.raises(SystemExit, match="CLOCK_NOW"):
        load_config(environ={"CLOCK_NOW": "2026-03-01T09:00:00"})   # no offset
    with pytest.raises(SystemExit, match="not both"):
        parse_clock_setting({"CLOCK_NOW": "2026-03-01T09:00:00+08:00", "CLOCK_TODAY": "2026-03-01"})


def test_today_is_the_shanghai_date_and_now_is_utc():
    reading = ClockReading(datetime(2026, 9, 30, 17, 30, tzinfo=timezone.utc))   # 01:30 on 1 Oct in Beijing
    assert reading.today() == date(2026, 10, 1) and reading.now().tzinfo == timezone.utc
    assert Today(date(2026, 9, 28)).today() == date(2026, 9, 28)
    assert parse_clock_setting({"CLOCK_TODAY": "2026-09-28"}) == datetime(2026, 9, 28, 1, tzinfo=timezone.utc)


class _Container:
    service_name = "x"

    def __init__(self, **config):
        self.config = config
        self.dependencies = []


def test_moving_the_clock_is_for_an_admin_in_demo_mode_only():
    from shared.errors import Forbidden
    clock = Clock()
    clock.container = _Container(DEMO_MODE=False)
    clock.setup()
    with pytest.raises(Forbidden):
        clock.plan_move(Principal("demo-admin", ADMIN), today="2026-12-01")
    clock.container = _Container(DEMO_MODE=True)
    clock.setup()
    with pytest.raises(Forbidden):
        clock.plan_move(Principal("demo-center", CITY_CENTER), today="2026-12-01")
    with pytest.raises(Forbidden):
        clock.plan_move(Principal.system("a timer"), today="2026-12-01")
    move = clock.plan_move(Principal("demo-admin", ADMIN), today="2026-12-01", reason="rehearsal")
    assert clock.apply_move(move)
    assert clock.get_dependency(None).today() == date(2026, 12, 1)
    assert not clock.apply_move(move)   # the same move again changes nothing


def test_a_moved_clock_reaches_every_service_and_survives_a_restart(config, container_factory):
    from services.reporting.service import ReportingService
    from services.supervision.service import SupervisionService
    config = {**config, "MONGO_URI": "memory://clock-test-%s" % id(config)}
    reporting = container_factory(ReportingService, config)
    supervision = container_factory(SupervisionService, config)
    reporting.start()
    supervision.start()
    admin = {"principal": Principal("demo-admin", ADMIN).to_header()}
    with entrypoint_waiter(supervision, "on_clock_moved"):
        with ClusterRpcProxy(config, context_data=admin) as rpc:
            moved = rpc.reporting.set_clock(today="2026-12-30", reason="December deadline rehearsal")
    assert moved["today"] == "2026-12-30"
    with ClusterRpcProxy(config, context_data=admin) as rpc:
        assert rpc.supervision.get_clock()["today"] == "2026-12-30"
    supervision.stop()
    again = container_factory(SupervisionService, config)   # same store: the move was persisted
    again.start()
    with ClusterRpcProxy(config, context_data=admin) as rpc:
        assert rpc.supervision.get_clock()["today"] == "2026-12-30"
