"""The request fingerprint an Idempotency-Key is checked against (gateway/replays.py): a
multipart body by its fields and files, whatever their names. The fuzzer found a part whose
name does not parse (werkzeug gives None for it) answered 500 instead of the route's 4xx."""
from __future__ import annotations

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.replays import FirstAnswers

BOUNDARY = "XyZ"


def multipart(*parts: tuple[str, str], boundary: str = BOUNDARY) -> Request:
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; {header}\r\n\r\n{value}\r\n'
                   for header, value in parts) + f"--{boundary}--\r\n"
    return Request(EnvironBuilder(method="POST", path="/api/v1/applications/import", data=body.encode(),
                                  content_type=f"multipart/form-data; boundary={boundary}").get_environ())


def test_a_part_whose_name_does_not_parse_still_has_a_fingerprint():
    odd = multipart(('name="\x07a\\"', "null"), ('name="ok"', "v"), ('name="file"; filename="f.png"', "PNG"))
    assert None in odd.form                                   # what werkzeug makes of it
    assert len(FirstAnswers.fingerprint(odd)) == 64


def test_the_same_fields_and_files_give_the_same_fingerprint_whatever_the_boundary():
    parts = (('name="note"', "第一次"), ('name="file"; filename="申报.xlsx"', "PK"))
    assert FirstAnswers.fingerprint(multipart(*parts)) == FirstAnswers.fingerprint(multipart(*parts, boundary="B2"))
    changed = (('name="note"', "第二次"), parts[1])
    assert FirstAnswers.fingerprint(multipart(*parts)) != FirstAnswers.fingerprint(multipart(*changed))
