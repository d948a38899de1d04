# Sourced by the scripts that need root (apt-get, network namespaces): as root they just go on; otherwise
# they run themselves again through sudo when sudo exists, and stop with a clear message when it does not
# (a bare Debian machine where you are root has no sudo, and needs none).
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo --preserve-env=KEEL_LAB_DIR,KEEL_VENV,KEEL_LAB_CACHE,CI,PATH bash "$0" "$@"
  fi
  echo "$(basename "$0"): needs root (apt-get, network namespaces); run it as root (sudo is not installed)" >&2
  exit 1
fi
