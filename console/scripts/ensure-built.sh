#!/bin/sh
# Builds the console (console/dist) when it is missing or older than its sources, or the
# gateway's routes and schemas it is typed against. Usage: ensure-built.sh [--always] [--required]
#   --always    build even when console/dist is fresh (make test: the type check runs every time)
#   --required  exit 1 when Node.js/npm are missing (make test); otherwise say what to do and exit 0
#               (make run: the API runs without the console)
set -e
cd "$(dirname "$0")/.."
always=0; required=0
for arg in "$@"; do
  case "$arg" in --always) always=1 ;; --required) required=1 ;; esac
done
need_node() {
  echo "console: Node.js >= 20.19 and npm are needed to build the web console (console/)." >&2
  echo "  Debian/Ubuntu: apt-get install -y nodejs npm   (or https://nodejs.org, or nvm install 20)" >&2
  echo "  then: make run   (or: cd console && npm ci && npm run build)" >&2
  echo "  Until then the API runs at /api/v1 and / says the console is not built." >&2
  [ "$required" = 1 ] && exit 1
  exit 0
}
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || need_node
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || need_node
if [ "$always" = 0 ] && [ -f dist/index.html ] && \
   [ -z "$(find src public index.html package.json package-lock.json vite.config.ts tsconfig.json scripts \
            ../gateway ../shared ../services \( -path '*/src/api/*' -o -name '*.pyc' -o -name 'auto-imports.d.ts' -o -name 'components.d.ts' \) -prune -o \
            \( -name '*.ts' -o -name '*.vue' -o -name '*.css' -o -name '*.html' -o -name '*.json' -o -name '*.mjs' \
               -o -name '*.svg' -o -path '../gateway/*.py' -o -path '../shared/*.py' -o -name 'schemas.py' -o -name 'contract.py' \) -type f -newer dist/index.html -print 2>/dev/null | head -1)" ]; then
  exit 0
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "console: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "console: npm run build"
npm run build --silent
