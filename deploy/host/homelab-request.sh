#!/usr/bin/env bash
# Perform one host action the Homelab Control Plane asked for. Run as root by homelab-<kind>.service when its
# path unit sees $HOMELAB_REQUESTS_DIR/<kind>.request; writes <kind>.result and removes the request.
#
# Usage: homelab-request.sh reboot|backup
#
# The request file only says "please" (its id is echoed back); what happens is decided here, from the host's
# own settings (normally /etc/homelab/host-requests.env, read by the service units):
#   HOMELAB_REQUESTS_DIR    where requests appear                  (default /opt/homelab/requests)
#   HOMELAB_BACKUP_UNIT     the unit a backup request starts       (default restic-backup.service)
#   HOMELAB_BACKUP_COMMAND  an executable to run instead (no arguments), e.g. a wrapper around restic
#   DRY_RUN=1               record what would happen, do nothing   (for trying the installation)
#   HOMELAB_SYSTEMCTL       the systemctl to call                  (default systemctl; tests use a stub)
set -euo pipefail
umask 022

kind="${1:-}"
case "${kind}" in
    reboot | backup) ;;
    *)
        echo "usage: $0 reboot|backup" >&2
        exit 64
        ;;
esac

dir="${HOMELAB_REQUESTS_DIR:-/opt/homelab/requests}"
request="${dir}/${kind}.request"
result="${dir}/${kind}.result"
systemctl="${HOMELAB_SYSTEMCTL:-systemctl}"
dry_run="${DRY_RUN:-0}"

log() { printf 'homelab-request %s: %s\n' "${kind}" "$*" >&2; }
now() { date -u +%Y-%m-%dT%H:%M:%S+00:00; }

# JSON string: escape backslash and quote, drop control characters (messages are one line).
json_string() {
    local text
    text="$(printf '%s' "$1" | tr -d '\000-\010\013-\037' | tr '\t\n' '  ')"
    text="${text//\\/\\\\}"
    text="${text//\"/\\\"}"
    printf '"%s"' "${text}"
}

# write_result STATUS EXIT_STATUS MESSAGE [FINISHED]: replace the result file atomically. The directory belongs
# to the console's unprivileged user, so a new file is made with mktemp and renamed over the old name: a link
# planted there is replaced, never followed.
write_result() {
    local status="$1" exit_status="$2" message="$3" finished="${4:-null}" tmp
    [[ "${finished}" == null ]] || finished="$(json_string "${finished}")"
    tmp="$(mktemp "${dir}/.${kind}.result.XXXXXX")"
    printf '{"id": %s, "kind": "%s", "status": "%s", "started": "%s", "finished": %s, "exit_status": %s, "dry_run": %s, "message": %s}\n' \
        "$(json_string "${id}")" "${kind}" "${status}" "${started}" "${finished}" "${exit_status}" \
        "$([[ "${dry_run}" == 1 ]] && echo true || echo false)" "$(json_string "${message}")" >"${tmp}"
    chmod 0644 "${tmp}"
    sync -- "${tmp}" 2>/dev/null || true
    mv -f -- "${tmp}" "${result}"
}

if [[ ! -d "${dir}" || -L "${dir}" ]]; then
    log "no requests directory ${dir} (or it is a symbolic link): nothing to do"
    exit 0
fi
if [[ -L "${request}" ]]; then
    rm -f -- "${request}"
    log "refused: ${request} is a symbolic link"
    exit 1
fi
if [[ ! -f "${request}" ]]; then
    log "no request (already handled)"
    exit 0
fi

# Only an id of the console's own shape is echoed back; nothing else in the request is used.
id="$(head -c 4096 -- "${request}" | sed -n 's/.*"id"[[:space:]]*:[[:space:]]*"\([A-Za-z0-9-]\{1,64\}\)".*/\1/p' | head -n 1 || true)"
id="${id:-unknown}"
started="$(now)"
write_result running null "started"
# Consumed before acting: a request left behind would repeat the action at the next trigger (or boot).
rm -f -- "${request}"
log "request ${id} taken"

case "${kind}" in
    reboot)
        if [[ "${dry_run}" == 1 ]]; then
            write_result succeeded 0 "dry run: the host would reboot now" "$(now)"
            log "dry run: not rebooting"
            exit 0
        fi
        write_result rebooting null "asking systemd to reboot" "$(now)"
        sync
        if "${systemctl}" reboot; then
            write_result succeeded 0 "reboot started" "$(now)"
        else
            code=$?
            write_result failed "${code}" "systemctl reboot failed with status ${code}" "$(now)"
            exit "${code}"
        fi
        ;;
    backup)
        unit="${HOMELAB_BACKUP_UNIT:-restic-backup.service}"
        if [[ -n "${HOMELAB_BACKUP_COMMAND:-}" ]]; then
            what="${HOMELAB_BACKUP_COMMAND}"
            command=("${HOMELAB_BACKUP_COMMAND}")
        elif [[ "${unit}" =~ ^[A-Za-z0-9][A-Za-z0-9@_.:-]*$ ]]; then
            what="${unit}"
            command=("${systemctl}" start --wait "${unit}")
        else
            write_result failed null "HOMELAB_BACKUP_UNIT is not a unit name: ${unit}" "$(now)"
            exit 1
        fi
        if [[ "${dry_run}" == 1 ]]; then
            write_result succeeded 0 "dry run: would run ${what}" "$(now)"
            exit 0
        fi
        output="$(mktemp)"
        trap 'rm -f -- "${output}"' EXIT
        log "running ${what}"
        set +e
        "${command[@]}" 2>&1 | tee "${output}" >&2
        code="${PIPESTATUS[0]}"
        set -e
        last="$(grep -v '^[[:space:]]*$' "${output}" | tail -n 1 | cut -c1-300 || true)"
        if [[ "${code}" == 0 ]]; then
            write_result succeeded 0 "${what} finished${last:+: ${last}}" "$(now)"
        else
            write_result failed "${code}" "${what} failed with status ${code}${last:+: ${last}}" "$(now)"
            exit "${code}"
        fi
        ;;
esac
