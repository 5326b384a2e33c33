#!/usr/bin/env bash
# Installs what tests/test_real_wordpress.py needs: Debian's WordPress 6.1 with its three stock themes, Apache with
# mod_php and the MariaDB client. Idempotent; run as root. The tests start their own Apache on a free 127.0.0.1 port
# (tests/wordpress/site.py): this script neither enables nor starts the system's Apache, and touches no config.
# The database server is the machine's MariaDB on 127.0.0.1:3306 (root without password), as for the other tests.
set -euo pipefail

PACKAGES=(wordpress wordpress-theme-twentytwentyone wordpress-theme-twentytwentytwo wordpress-theme-twentytwentythree
          apache2 libapache2-mod-php php-cli php-mysql mariadb-client)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  echo "tests/wordpress/install.sh: everything is installed already"
  exit 0
fi
if [[ $EUID -ne 0 ]]; then
  echo "tests/wordpress/install.sh: run as root to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The package lists are usually fresh enough; update them only when an install fails.
apt-get install -y --no-install-recommends "${missing[@]}" \
  || { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
