"""Bearer tokens: signed (HS256) and expiring, made with PyJWT; the secret comes from config."""
from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from datetime import datetime, timedelta, timezone

import jwt
from nameko.exceptions import ConfigurationError
from nameko.extensions import DependencyProvider

from shared.config import DEFAULT_JWT_SECRET
from shared.errors import Unauthenticated
from shared.principal import Principal

ISSUER = "skillmaster-gateway"
ALGORITHM = "HS256"


def check_secret(config: dict) -> str:
    """The gateway refuses to start outside demo mode with the default (public) secret."""
    secret = config.get("JWT_SECRET") or ""
    if not config.get("DEMO_MODE") and (secret == DEFAULT_JWT_SECRET or len(secret) < 32):
        raise ConfigurationError(
            "JWT_SECRET is the demo default or shorter than 32 characters: set a secret of your own "
            "(e.g. JWT_SECRET=$(python -c 'import secrets; print(secrets.token_urlsafe(48))')) "
            "or run with DEMO_MODE=true")
    return secret


def issue_token(principal: Principal, secret: str, ttl_seconds: int, now: datetime | None = None,
                token_version: int = 0) -> dict:
    now = now or datetime.now(timezone.utc)
    claims = {"iss": ISSUER, "sub": principal.user, "role": principal.role,
              "tenant_id": principal.tenant_id, "unit_id": principal.unit_id,
              "iat": now, "exp": now + timedelta(seconds=ttl_seconds),
              "jti": uuid.uuid4().hex, "ver": int(token_version)}
    return {"access_token": jwt.encode(claims, secret, algorithm=ALGORITHM), "token_type": "Bearer",
            "expires_in": ttl_seconds}


# Tokens whose signature and claims were checked, by (secret, token): a client sends the same
# token with every request for hours, and PyJWT's checks are a good part of a request's CPU.
# Only a token that passed every check is kept; its expiry is checked again on every use, and
# revocation is checked per request as before (gateway/sessions.py).
VERIFIED_TOKENS = 10000
_verified: OrderedDict = OrderedDict()


def verified_claims(token: str, secret: str) -> dict:
    key = (secret, token)
    claims = _verified.get(key)
    if claims is not None:
        if claims["exp"] <= time.time():
            _verified.pop(key, None)
            raise Unauthenticated("the token has expired: log in again")
        return claims
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "iss"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired: log in again")
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(f"the token is not valid: {exc}")
    if isinstance(claims.get("exp"), (int, float)):
        _verified[key] = claims
        while len(_verified) > VERIFIED_TOKENS:
            _verified.popitem(last=False)
    return claims


def principal_from_request(request, secret: str) -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send Authorization: Bearer <token> (POST /api/v1/auth/token gives one)")
    claims = verified_claims(token.strip(), secret)
    request.token_version = int(claims.get("ver") or 0)  # checked against the user's (gateway/sessions.py)
    return Principal(user=claims["sub"], role=claims["role"], tenant_id=claims.get("tenant_id"),
                     unit_id=claims.get("unit_id"))


class Tokens(DependencyProvider):
    """Issues tokens; checks the secret when the gateway starts."""

    def setup(self):
        config = self.container.config
        self.secret = check_secret(config)
        self.ttl = int(config.get("JWT_TTL_SECONDS", 28800))

    def get_dependency(self, worker_ctx):
        return lambda principal, token_version=0: issue_token(principal, self.secret, self.ttl,
                                                              token_version=token_version)
