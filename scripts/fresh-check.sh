#!/usr/bin/env bash
# Runs README's two commands in a clean Debian 12 root, as a new user would on
# a fresh machine: debootstrap makes a minimal bookworm root (Debian's
# repositories only, as this machine's apt configures them), a clone of this
# repository's HEAD goes into it (with ../shared beside it, as CI has it), and
# `bash scripts/demo.sh` then `bash scripts/test.sh` run there under chroot, as
# root. Prints each command's wall time and exit code; exits non-zero when
# either fails. Run as root on a Debian machine.
#
# Usage: scripts/fresh-check.sh [--demo-only] [--tests-only] [--keep] [--reuse] [--root DIR]
#   --demo-only  run only the demo command (about 10 minutes on 2 cores)
#   --tests-only run only the test command
#   --keep       keep the root afterwards (default: deleted)
#   --reuse      use the root a --keep run left (its installed packages stay;
#                the repository is cloned anew), e.g. --reuse --tests-only
#   --root DIR   where to build the root (default /var/tmp/barrage-fresh)
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
root=/var/tmp/barrage-fresh
demo_only=0
tests_only=0
keep=0
reuse=0
while (($#)); do
  case $1 in
    --demo-only) demo_only=1 ;;
    --tests-only) tests_only=1 ;;
    --keep) keep=1 ;;
    --reuse) reuse=1 ;;
    --root) root=$2; shift ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fresh-check: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ $(id -u) -ne 0 ]]; then
  echo "fresh-check: run as root (debootstrap and chroot need it)" >&2
  exit 2
fi
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap

# The Debian mirror this machine's apt uses (deb822 or one-line format).
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
if [[ -z $mirror ]]; then
  mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
fi
[[ -n $mirror ]] || { echo "fresh-check: no Debian mirror found in /etc/apt" >&2; exit 2; }

mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  if ((keep == 0)); then rm -rf "$root"; fi
}
trap cleanup EXIT
bind() {
  mkdir -p "$root$1"
  mount --bind "$1" "$root$1"
  mounted+=("$root$1")
}

if ((reuse == 1)) && [[ -x $root/bin/bash ]]; then
  echo "fresh-check: reusing $root (packages a previous run installed stay)"
  rm -rf "$root/root/barrage" "$root/root/shared"
else
  rm -rf "$root"
  echo "fresh-check: debootstrap bookworm into $root"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
    { tail -n 20 "$root.debootstrap.log" >&2; exit 1; }
fi
# The same Debian repositories as this machine (updates and security included), nothing else.
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
  : >"$root/etc/apt/sources.list"
fi
# Debian's stock /etc/hosts (localhost is both ::1 and 127.0.0.1).
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# This machine's network, not the project's setup: certificate authorities
# added locally (a proxy that inspects TLS, say) are trusted in the root too,
# as they are here; ca-certificates picks them up when install-deps installs it.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi

git clone -q "$top" "$root/root/barrage"
if [[ -d $top/../shared ]]; then cp -r "$top/../shared" "$root/root/shared"; fi
# The root is a mount point of its own, as / is on a machine: tests that
# give a process a mount namespace (unshare -m, which makes / private) need it.
mount --bind "$root" "$root"
mounted+=("$root")
bind /proc
bind /sys
bind /dev
bind /dev/pts
mkdir -p "$root/dev/shm" && mount -t tmpfs tmpfs "$root/dev/shm" && mounted+=("$root/dev/shm")

run_in_root() {
  local name=$1 cmd=$2 start=$SECONDS rc=0
  echo "fresh-check: $name: $cmd"
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    TERM=dumb LANG=C.UTF-8 CI=true ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS} \
    bash -c "cd /root/barrage && $cmd" || rc=$?
  echo "fresh-check: $name: exit $rc after $((SECONDS - start)) s"
  return $rc
}
status=0
if ((tests_only == 0)); then
  run_in_root demo "bash scripts/demo.sh" || status=1
fi
if ((demo_only == 0)); then
  run_in_root tests "bash scripts/test.sh" || status=1
fi
exit $status
