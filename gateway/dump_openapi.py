"""Print the gateway's OpenAPI document without a running system (the console's build generates
its typed API client from it): ``python -m gateway.dump_openapi [OUT.json]``."""
from __future__ import annotations

import json
import sys


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from gateway.http import json_default
    from gateway.openapi import build_spec
    from gateway.routes.health import VERSION
    from gateway.service import ROUTES
    text = json.dumps(build_spec(ROUTES, VERSION), ensure_ascii=False, indent=1, sort_keys=True,
                      default=json_default)   # as the gateway answers it
    if argv:
        with open(argv[0], "w", encoding="utf-8") as out:
            out.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
