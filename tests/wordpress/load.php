<?php
/**
 * Loads WordPress for a php-cli script of the test fixture: WP_HTTP_HOST=127.0.0.1:PORT picks Debian's host config
 * (/etc/wordpress/config-127.0.0.1.php, or WORDPRESS_CONFIG), WP_ROOT is the installation (tests/wordpress/site.py
 * sets both). A script that installs WordPress defines WP_INSTALLING before it requires this file.
 */

$_SERVER['HTTP_HOST'] = getenv('WP_HTTP_HOST') ?: '127.0.0.1';
if (getenv('WORDPRESS_CONFIG')) {
    $_SERVER['WORDPRESS_CONFIG'] = getenv('WORDPRESS_CONFIG');
}
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_NAME'] = '127.0.0.1';
require_once (getenv('WP_ROOT') ?: '/usr/share/wordpress') . '/wp-load.php';
