/** The bench's wp-config.php and Apache configuration. */

/** WordPress on the bench's MariaDB socket; no call leaves the machine (no updates, no cron spawn). */
export function wordpressConfig(socket: string): string {
  return `<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'wp');
define('DB_PASSWORD', 'wp');
define('DB_HOST', 'localhost:${socket}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('AUTH_KEY', 'bench'); define('SECURE_AUTH_KEY', 'bench'); define('LOGGED_IN_KEY', 'bench'); define('NONCE_KEY', 'bench');
define('AUTH_SALT', 'bench'); define('SECURE_AUTH_SALT', 'bench'); define('LOGGED_IN_SALT', 'bench'); define('NONCE_SALT', 'bench');
$table_prefix = 'wp_';
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_DEBUG', false);
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
`;
}

/**
 * A private Apache on loopback: prefork with mod_php, as the official image runs it, and the official
 * image's OPcache settings (docker-library/wordpress: memory 128 MB, interned strings 8 MB, 4000 files,
 * revalidate every 2 s) except `revalidateFreq`.
 */
export function apacheConfig(o: { docroot: string; port: number; work: string; pidFile: string; revalidateFreq: number }): string {
  const mod = (name: string, file: string) => `LoadModule ${name}_module /usr/lib/apache2/modules/${file}`;
  return [
    'ServerRoot /etc/apache2',
    `Listen 127.0.0.1:${o.port}`,
    'ServerName 127.0.0.1',
    `PidFile ${o.pidFile}`,
    `DefaultRuntimeDir ${o.work}`,
    `Mutex file:${o.work}`,
    `ErrorLog ${o.work}/apache-error.log`,
    'LogLevel warn',
    mod('mpm_prefork', 'mod_mpm_prefork.so'),
    mod('authz_core', 'mod_authz_core.so'),
    mod('dir', 'mod_dir.so'),
    mod('mime', 'mod_mime.so'),
    mod('rewrite', 'mod_rewrite.so'),
    mod('php', 'libphp8.2.so'),
    'User www-data',
    'Group www-data',
    'StartServers 4', 'MinSpareServers 4', 'MaxSpareServers 8', 'MaxRequestWorkers 8', 'MaxConnectionsPerChild 0',
    'TypesConfig /etc/mime.types',
    `DocumentRoot ${o.docroot}`,
    `<Directory ${o.docroot}>`, '  AllowOverride All', '  Require all granted', '</Directory>',
    'DirectoryIndex index.php index.html',
    '<FilesMatch "\\.php$">', '  SetHandler application/x-httpd-php', '</FilesMatch>',
    'php_admin_value opcache.enable 1',
    'php_admin_value opcache.memory_consumption 128',
    'php_admin_value opcache.interned_strings_buffer 8',
    'php_admin_value opcache.max_accelerated_files 4000',
    `php_admin_value opcache.revalidate_freq ${o.revalidateFreq}`,
    '',
  ].join('\n');
}
