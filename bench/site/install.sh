#!/usr/bin/env bash
# Installs what `npm run bench:site` needs, from Debian's packages: Apache with mod_php (PHP 8.2 and
# its OPcache), MariaDB, WordPress, and fusepy for the slow file system. Needs apt-get, as root or
# through sudo. Does nothing when everything is there already.
set -euo pipefail
need=()
command -v apache2 >/dev/null || need+=(apache2)
[ -e /usr/lib/apache2/modules/libphp8.2.so ] || need+=(libapache2-mod-php)
php -r 'exit(extension_loaded("mysqli") ? 0 : 1);' 2>/dev/null || need+=(php-mysql)
command -v mariadbd >/dev/null || need+=(mariadb-server)
[ -e /usr/share/wordpress/wp-settings.php ] || need+=(wordpress)
/usr/bin/python3 -c 'import fusepy' 2>/dev/null || need+=(python3-fusepy)
command -v fusermount3 >/dev/null || command -v fusermount >/dev/null || need+=(fuse3)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "bench:site: installing ${need[*]} with apt-get" >&2
# The bench runs its own Apache and MariaDB, on a loopback port and a private socket.
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
