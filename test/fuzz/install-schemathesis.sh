#!/usr/bin/env bash
# Installs schemathesis (the version in requirements.txt beside this script) into a venv under
# ~/.cache/kapi (KAPI_CACHE_DIR overrides), unless that venv already has it; prints the `st` path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${KAPI_CACHE_DIR:-$HOME/.cache/kapi}/venv"
want="$(sed -n 's/^schemathesis==//p' "$here/requirements.txt")"
if [ -x "$venv/bin/st" ] && "$venv/bin/st" --version 2>/dev/null | grep -qx "st, version $want"; then
  echo "$venv/bin/st"
  exit 0
fi
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
"$venv/bin/st" --version >&2
echo "$venv/bin/st"
