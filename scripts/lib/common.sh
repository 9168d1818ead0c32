# Shared by scripts/run and scripts/test: package installation and the CMake build.
# shellcheck shell=bash

SCREAM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCREAM_JOBS=${SCREAM_JOBS:-$(nproc)}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs every package of scripts/packages.txt that is not installed yet (apt-get update first).
install_packages() {
  local pkgs=() missing=() p sudo=()
  mapfile -t pkgs < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$SCREAM_ROOT/scripts/packages.txt")
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "all ${#pkgs[@]} required packages are installed"
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "missing packages (${missing[*]}) and not root; install them or run as root"
    sudo=(sudo)
  fi
  log "installing ${#missing[@]} packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -q || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || die "apt-get install failed"
}

# configure_and_build DIR [cmake options...]: configures (Ninja) and builds everything in DIR.
configure_and_build() {
  local dir=$1
  shift
  log "configuring $dir $*"
  cmake -S "$SCREAM_ROOT" -B "$dir" -G Ninja "$@" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log" >&2; return 1; }
  log "building $dir"
  cmake --build "$dir" --parallel "$SCREAM_JOBS"
}
