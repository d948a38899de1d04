#!/usr/bin/env bash
# Installs, with apt-get, everything Keel's build, tests and lab hosts need on a Debian machine.
# Idempotent: apt is only asked when something is missing.
set -euo pipefail
source "$(dirname "$0")/as-root.sh" "$@"
# libssh2-1-dev: the SSH transport links libssh2. openssh-*: every lab host runs its own sshd.
# iproute2, tini: lab hosts (namespaces, PID 1). debootstrap, systemd-container: the --systemd lab flavor.
# sudo: become tests. python3-venv: the Python oracles (Jinja2, ansible-core, pyinfra).
# dpkg-dev: apt module tests build and index .deb packages (dpkg-scanpackages) for a local repository.
# rpm, createrepo-c, dnf: dnf module tests build an .rpm, index it and install it with Debian's dnf on a light host.
# zip, unzip, xz-utils: unarchive tests build archives on the controller and unpack them on light hosts. file: stat's mimetype.
# pebble (pebble, pebble-challtestsrv), lego, libcurl4-openssl-dev, openssl: the acme module's tests (a test CA, an independent
# client for the differential; KeelACME links libcurl for a per-request CA file).
# debconf-utils (debconf-get-selections), kmod (modprobe), iptables, ufw: the debconf, modprobe, iptables and ufw modules' tests.
PACKAGES=(libssh2-1-dev openssh-server openssh-client iproute2 tini debootstrap systemd-container
          sudo busybox-static nftables python3-venv pkg-config dpkg-dev rpm createrepo-c dnf
          zip unzip xz-utils file debconf-utils kmod iptables ufw)
# libsqlite3-dev: the run history (GRDB links the system's SQLite).
PACKAGES+=(libsqlite3-dev)
# git: the git module's tests (a bare repository on one light host, cloned over SSH by another).
PACKAGES+=(git)
# gnupg (gpg, gpg-agent): the git module's verify_commit test signs a commit; curl: the release test's request loop
# from one light host to another through `current`.
PACKAGES+=(gnupg curl)
# binutils (objdump, strip) and lintian: scripts/package and its test.
PACKAGES+=(binutils lintian)
# docker-registry, apache2-utils (htpasswd -B), openssl: the podman image tests' local registry (TLS from a test CA, htpasswd auth).
PACKAGES+=(docker-registry apache2-utils openssl)
# pebble, lego: the acme tests' CA and the differential client; libcurl4-openssl-dev: KeelACME's HTTP (CKeelCurl).
PACKAGES+=(pebble lego libcurl4-openssl-dev)
# curl: the acme tests talk to pebble's directory and management API, and to the lab host's HTTPS, from the controller.
PACKAGES+=(curl)
# postgresql-15: the postgresql_* module tests run its cluster on light hosts; scripts/build-postgres-lab-image
# builds the VPS tests' offline PostgreSQL image from its files.
PACKAGES+=(postgresql-15)
# mariadb-server, python3-pymysql: the mysql_* module tests run a MariaDB server on light hosts; ansible-playbook's
# community.mysql side of their differential needs PyMySQL on the host.
PACKAGES+=(mariadb-server python3-pymysql)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
