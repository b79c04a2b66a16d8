/**
 * How WordPress reaches the database over TLS, always; and how the server insists on it.
 *
 * The server side: the instance's DB parameter group sets `require_secure_transport=1`
 * (rds-parameter-group.ts), so a plaintext login is refused with MySQL error 3159
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-ssl-connections.require-ssl.html);
 * the RDS Proxy is created with `RequireTLS`.
 *
 * The client side: WordPress core connects with `mysqli_real_connect(..., MYSQL_CLIENT_FLAGS)` and
 * nothing else: it never calls `mysqli_ssl_set`, so no CA file can be handed to it from
 * wp-config.php. PHP's mysqlnd then decides from the flags alone: `MYSQLI_CLIENT_SSL` makes TLS
 * mandatory (mysqlnd closes the connection when the server offers no TLS), and
 * `MYSQLI_CLIENT_SSL_VERIFY_SERVER_CERT` verifies the certificate and its host name against
 * OpenSSL's default trust store. The official `wordpress` image is built `FROM php:*-apache`
 * (Debian slim), which installs Debian's `ca-certificates`: the public roots, Amazon Root CA 1-4
 * among them, and not the RDS CAs.
 *
 * - Through the RDS Proxy: verified. The proxy's certificate comes from ACM and chains to Amazon
 *   Root CA 1, a public root (https://repost.aws/knowledge-center/rds-aurora-mysql-connect-proxy,
 *   "Amazon Trust Services ... Amazon Root CA 1"; the proxy uses a wildcard certificate, which
 *   OpenSSL's host name check accepts).
 * - Straight to the instance: encrypted, not verified. Its certificate is signed by an RDS CA
 *   (rds-ca-rsa2048-g1 by default), which no public trust store carries
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html); verifying it
 *   would mean baking the RDS bundle into a custom image, or downloading it at every task start and
 *   replacing wpdb with a drop-in that calls `mysqli_ssl_set`. Both change the image the user
 *   chose. The connection never leaves the VPC: the instance's interfaces are reachable only from
 *   the app tier's security group, and a VPC does not let one host see or redirect another's
 *   traffic. So the flags ask for TLS and say explicitly that the certificate is not checked
 *   (`MYSQLI_CLIENT_SSL_DONT_VERIFY_SERVER_CERT`: the same as mysqlnd's default without a CA, but
 *   stated, so that a future default cannot break the connection). `database.proxy: true` is the
 *   way to a verified server identity.
 */

/** The TLS setting WordPress connects with. */
export type DbTlsMode = 'verify' | 'encrypt';

/** `verify` through the RDS Proxy (public ACM certificate), `encrypt` straight to the instance (RDS CA). */
export const dbTlsMode = (viaProxy: boolean): DbTlsMode => (viaProxy ? 'verify' : 'encrypt');

/** The PHP line for wp-config.php (through `WORDPRESS_CONFIG_EXTRA`) that makes mysqli use TLS. */
export function mysqlClientFlags(mode: DbTlsMode): string {
  const flags = mode === 'verify' ? 'MYSQLI_CLIENT_SSL | MYSQLI_CLIENT_SSL_VERIFY_SERVER_CERT' : 'MYSQLI_CLIENT_SSL | MYSQLI_CLIENT_SSL_DONT_VERIFY_SERVER_CERT';
  return `define('MYSQL_CLIENT_FLAGS', ${flags});`;
}
