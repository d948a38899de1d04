#!/usr/bin/env bash
# Measures how long Keel takes to load a repository with N inline vaulted values (each encrypted on its
# own, so each has its own salt and needs its own key derivation, as `ansible-vault encrypt_string` makes
# them), against the same load by ansible-playbook. Prints both times. Not a test: timings are reported,
# never judged.
#   bash bench/vault-load.sh [KEEL_BINARY] [N]
set -euo pipefail
KEEL=$(realpath "${1:-.build/release/keel}")
N=${2:-500}
VENV=${KEEL_VENV:-/var/cache/keel/venv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "vault-load-password" > "$work/pw"
mkdir -p "$work/group_vars"
args=()
for i in $(seq 1 "$N"); do args+=(--name "secret_$i" "value-number-$i"); done
"$KEEL" vault encrypt_string --vault-password-file "$work/pw" "${args[@]}" > "$work/group_vars/all.yml" 2>/dev/null
cat > "$work/site.yml" <<'YAML'
- hosts: localhost
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ secret_1 | length + secret_500 | default('') | length }}"
YAML
echo "localhost ansible_connection=local" > "$work/inventory"
cd "$work"
start=$(date +%s.%N)
"$KEEL" play -i inventory site.yml --vault-password-file pw >/dev/null
keel=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
ANSIBLE_HOME="$work/ansible-home" "$VENV/bin/ansible-playbook" -i inventory site.yml --vault-password-file pw \
  -e ansible_python_interpreter="$VENV/bin/python" >/dev/null
ansible=$(echo "$(date +%s.%N) - $start" | bc)
printf 'values=%s keel=%.2fs ansible-playbook=%.2fs ratio=%.1fx\n' "$N" "$keel" "$ansible" "$(echo "$ansible / $keel" | bc -l)"
