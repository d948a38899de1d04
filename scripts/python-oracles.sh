#!/usr/bin/env bash
# Installs the reference implementations Keel is tested against (Jinja2, ansible-core, the full ansible
# package with its collections, pyinfra, psycopg2 for the community.postgresql differentials, junitparser
# to read `--output junit` as CI systems do) into a
# virtualenv, once. Prints the venv path. Idempotent: a venv with the pinned versions is left alone.
set -euo pipefail
VENV=${KEEL_VENV:-/var/cache/keel/venv}
PINS=(jinja2==3.1.6 ansible-core==2.19.14 ansible==12.3.0 pyinfra==3.10.0 psycopg2-binary==2.9.13 junitparser==5.0.3)
stamp="$VENV/.keel-pins"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "${PINS[*]}" ]; then
  echo "$VENV"; exit 0
fi
mkdir -p "$(dirname "$VENV")"
python3 -m venv "$VENV" >&2
"$VENV/bin/pip" install -q --disable-pip-version-check "${PINS[@]}" >&2
echo "${PINS[*]}" > "$stamp"
echo "$VENV"
