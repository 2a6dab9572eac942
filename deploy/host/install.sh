#!/usr/bin/env bash
# Install (or update) the host side of the Homelab Control Plane's host actions: the request script, the
# reboot/backup path and service units, and /etc/homelab/host-requests.env. Idempotent: run it again to
# change a setting; settings not given keep their installed value.
#
# Usage: sudo deploy/host/install.sh [--data-dir DIR] [--backup-unit UNIT] [--backup-command PATH]
#                                    [--dry-run | --no-dry-run] [--owner UID:GID]
#   --data-dir        the console's $DATA on the host (the directory mounted at /opt/homelab), default /opt/homelab
#   --backup-unit     the unit a backup request starts, default restic-backup.service
#   --backup-command  run this executable instead of starting the unit ('' to unset)
#   --dry-run         record requests without rebooting or backing up (try the wiring first)
#   --owner           owner of DIR/requests when it is created, default the owner of DIR
# For packaging and tests: DESTDIR (install under this root) and SYSTEMCTL (default systemctl).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
destdir="${DESTDIR:-}"
systemctl="${SYSTEMCTL:-systemctl}"
libexec_dir=/usr/local/libexec/homelab
unit_dir=/etc/systemd/system
env_file=/etc/homelab/host-requests.env

log() { printf 'install: %s\n' "$*" >&2; }
die() {
    printf 'install: ERROR: %s\n' "$*" >&2
    exit 1
}

# Installed settings are the defaults, so a re-run without options changes nothing.
HOMELAB_DATA_DIR=/opt/homelab
HOMELAB_BACKUP_UNIT=restic-backup.service
HOMELAB_BACKUP_COMMAND=
DRY_RUN=0
if [[ -f "${destdir}${env_file}" ]]; then
    # shellcheck source=/dev/null
    source "${destdir}${env_file}"
fi
owner=

while (($#)); do
    case "$1" in
        --data-dir) HOMELAB_DATA_DIR="${2:?--data-dir needs a directory}" && shift ;;
        --backup-unit) HOMELAB_BACKUP_UNIT="${2:?--backup-unit needs a unit name}" && shift ;;
        --backup-command) HOMELAB_BACKUP_COMMAND="${2?--backup-command needs a path (or '')}" && shift ;;
        --dry-run) DRY_RUN=1 ;;
        --no-dry-run) DRY_RUN=0 ;;
        --owner) owner="${2:?--owner needs UID:GID}" && shift ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

[[ -n "${destdir}" || ${EUID} -eq 0 ]] || die "run as root (sudo $0)"
# Unit files name the directory literally; keep it to characters that need no systemd escaping.
[[ "${HOMELAB_DATA_DIR}" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "--data-dir must be an absolute path of [A-Za-z0-9._/-]"
[[ "${HOMELAB_BACKUP_UNIT}" =~ ^[A-Za-z0-9][A-Za-z0-9@_.:-]*$ ]] || die "--backup-unit is not a unit name"
if [[ -n "${HOMELAB_BACKUP_COMMAND}" ]]; then
    [[ "${HOMELAB_BACKUP_COMMAND}" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "--backup-command must be an absolute path of [A-Za-z0-9._/-]"
    [[ -x "${destdir}${HOMELAB_BACKUP_COMMAND}" ]] || die "--backup-command ${HOMELAB_BACKUP_COMMAND} is not executable"
fi
[[ "${DRY_RUN}" =~ ^[01]$ ]] || die "DRY_RUN must be 0 or 1"
requests_dir="${HOMELAB_DATA_DIR%/}/requests"

# install_file SOURCE TARGET MODE: copy only when the content differs, so a re-run reports no change.
changed=0
install_file() {
    if ! cmp -s -- "$1" "${destdir}$2"; then
        install -D -m "$3" -- "$1" "${destdir}$2"
        log "wrote $2"
        changed=1
    fi
}

tmp="$(mktemp -d)"
trap 'rm -rf -- "${tmp}"' EXIT

install_file "${here}/homelab-request.sh" "${libexec_dir}/homelab-request.sh" 0755
for unit in homelab-reboot.path homelab-reboot.service homelab-backup.path homelab-backup.service; do
    sed -e "s|@REQUESTS_DIR@|${requests_dir}|g" -e "s|@LIBEXEC_DIR@|${libexec_dir}|g" \
        "${here}/${unit}" >"${tmp}/${unit}"
    install_file "${tmp}/${unit}" "${unit_dir}/${unit}" 0644
done
{
    echo "# Homelab Control Plane host actions (written by deploy/host/install.sh; re-run it to change)."
    # Values are checked above to need no quoting, so systemd's EnvironmentFile= and bash read them alike.
    echo "HOMELAB_DATA_DIR=${HOMELAB_DATA_DIR}"
    echo "HOMELAB_REQUESTS_DIR=${requests_dir}"
    echo "HOMELAB_BACKUP_UNIT=${HOMELAB_BACKUP_UNIT}"
    echo "HOMELAB_BACKUP_COMMAND=${HOMELAB_BACKUP_COMMAND}"
    echo "DRY_RUN=${DRY_RUN}"
} >"${tmp}/host-requests.env"
install_file "${tmp}/host-requests.env" "${env_file}" 0644

# The console (an unprivileged user in its container) writes requests; the host's root writes results.
if [[ ! -d "${destdir}${requests_dir}" ]]; then
    if [[ -z "${owner}" && -d "${destdir}${HOMELAB_DATA_DIR}" ]]; then
        owner="$(stat -c %u:%g -- "${destdir}${HOMELAB_DATA_DIR}")"
    fi
    mkdir -p -- "${destdir}${requests_dir}"
    [[ -z "${owner}" ]] || chown -- "${owner}" "${destdir}${requests_dir}"
    log "created ${requests_dir}${owner:+ (owner ${owner})}"
fi

if ((changed)); then
    "${systemctl}" daemon-reload
fi
"${systemctl}" enable --now homelab-reboot.path homelab-backup.path
log "done: requests in ${requests_dir}; dry run ${DRY_RUN}; backup ${HOMELAB_BACKUP_COMMAND:-${HOMELAB_BACKUP_UNIT}}"
