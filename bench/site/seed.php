<?php
// Installs WordPress in the docroot given as the first argument and seeds it: an admin user, pretty
// permalinks, 20 posts of a few paragraphs, an about page. Prints the path of one post, for the bench.
//   php seed.php DOCROOT SITE_URL ADMIN_PASSWORD
if ($argc !== 4) { fwrite(STDERR, "usage: php seed.php DOCROOT SITE_URL ADMIN_PASSWORD\n"); exit(2); }
[$_, $docroot, $url, $password] = $argv;
$parts = parse_url($url);
$_SERVER['HTTP_HOST'] = $parts['host'] . (isset($parts['port']) ? ':' . $parts['port'] : '');
$_SERVER['REQUEST_URI'] = '/';
define('WP_INSTALLING', true);
require $docroot . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

$result = wp_install('wpdeploy site bench', 'admin', 'admin@example.invalid', false, '', wp_slash($password));
update_option('siteurl', $url);
update_option('home', $url);
update_option('permalink_structure', '/%postname%/');

$paragraph = str_repeat('WordPress on a shared file system reads its templates, its theme.json and the CSS of every block on each page. ', 6);
$slug = '';
for ($n = 1; $n <= 20; $n++) {
  $content = '';
  for ($p = 0; $p < 5; $p++) $content .= "<!-- wp:paragraph -->\n<p>$paragraph</p>\n<!-- /wp:paragraph -->\n";
  $content .= "<!-- wp:heading -->\n<h2>Section $n</h2>\n<!-- /wp:heading -->\n<!-- wp:list -->\n<ul><li>one</li><li>two</li></ul>\n<!-- /wp:list -->\n";
  $id = wp_insert_post(['post_title' => "Post number $n", 'post_name' => "post-number-$n", 'post_content' => $content, 'post_status' => 'publish', 'post_author' => $result['user_id']]);
  if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message() . "\n"); exit(1); }
  if ($n === 10) $slug = "/post-number-$n/";
}
wp_insert_post(['post_title' => 'About', 'post_type' => 'page', 'post_content' => "<!-- wp:paragraph -->\n<p>$paragraph</p>\n<!-- /wp:paragraph -->", 'post_status' => 'publish']);
flush_rewrite_rules(true);
echo $slug, "\n";
