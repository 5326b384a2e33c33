"""A real WordPress (Debian's ``wordpress`` package) for one test session, on its own Apache and database.

``RealWordPress.start()`` creates a fresh MariaDB database and user, writes Debian's host config
``/etc/wordpress/config-127.0.0.1.php``, starts a private Apache (mod_php, mod_rewrite) on a free
``127.0.0.1`` port, installs WordPress through PHP and fills it with ``fill.php``; ``stop()`` undoes all of
it. Nothing here touches the system's Apache, its config or port 80. ``tests/wordpress/install.sh`` installs
the packages; ``missing()`` says what is not there.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WP_ROOT = Path("/usr/share/wordpress")
WP_CONTENT = Path("/var/lib/wordpress/wp-content")
CONFIG_DIR = Path("/etc/wordpress")
APACHE = "/usr/sbin/apache2"
APACHE_MODULES = Path("/usr/lib/apache2/modules")
THEMES = ("twentytwentyone", "twentytwentytwo", "twentytwentythree")
MARIADB_HOST, MARIADB_PORT = "127.0.0.1", 3306
PERMALINKS = "/%year%/%monthnum%/%day%/%postname%/"
MEDIA_PATH = "/archiver-test-media"
INSTALL_HINT = "run tests/wordpress/install.sh as root"
MARKER = "// archiver test fixture (tests/wordpress/site.py)"


class WordPressUnavailable(RuntimeError):
    """What this machine lacks to run a real WordPress, in one line."""


def _mod_php() -> Path | None:
    found = sorted(APACHE_MODULES.glob("libphp*.so"))
    return found[-1] if found else None


def missing_packages() -> str | None:
    """None when the Debian packages are installed, else one line naming what is missing and how to get it."""
    lacking = []
    if not (WP_ROOT / "wp-load.php").exists():
        lacking.append("WordPress (/usr/share/wordpress)")
    lacking += [f"theme {t}" for t in THEMES if not (WP_ROOT / "wp-content" / "themes" / t / "style.css").exists()]
    if not Path(APACHE).exists():
        lacking.append(f"Apache ({APACHE})")
    if _mod_php() is None:
        lacking.append("mod_php (libapache2-mod-php)")
    php = shutil.which("php")
    if php is None:
        lacking.append("php-cli")
    elif "mysqli" not in subprocess.run([php, "-m"], capture_output=True, text=True).stdout.split():
        lacking.append("PHP's mysqli (php-mysql)")
    if shutil.which("mariadb") is None and shutil.which("mysql") is None:
        lacking.append("the MariaDB client")
    if lacking:
        return f"real WordPress tests need {', '.join(lacking)}: {INSTALL_HINT}"
    return None


def missing() -> str | None:
    """None when a site can start here (packages, root, MariaDB), else one line saying what is missing."""
    packages = missing_packages()
    if packages:
        return packages
    if os.geteuid() != 0:
        return f"real WordPress tests run as root (they write {CONFIG_DIR}/config-127.0.0.1.php and start Apache)"
    try:
        socket.create_connection((MARIADB_HOST, MARIADB_PORT), timeout=3).close()
    except OSError as error:
        return f"real WordPress tests need MariaDB on {MARIADB_HOST}:{MARIADB_PORT} (root, no password): {error}"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _sql(statement: str) -> None:
    client = shutil.which("mariadb") or shutil.which("mysql") or "mysql"
    subprocess.run([client, "-h", MARIADB_HOST, "-P", str(MARIADB_PORT), "-u", "root", "-e", statement], check=True,
                   capture_output=True, text=True, timeout=60)


def _png(width: int, height: int) -> bytes:
    """A plain grey PNG, the picture in the posts' figures."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _php_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


APACHE_CONF = """\
ServerRoot "{dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{dir}/apache.pid"
DefaultRuntimeDir "{dir}"
ErrorLog "{dir}/error.log"
LogLevel warn
User www-data
Group www-data
LoadModule mpm_prefork_module {modules}/mod_mpm_prefork.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule alias_module {modules}/mod_alias.so
LoadModule dir_module {modules}/mod_dir.so
LoadModule env_module {modules}/mod_env.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule rewrite_module {modules}/mod_rewrite.so
LoadModule php_module {mod_php}
StartServers 2
MinSpareServers 2
MaxSpareServers 6
MaxRequestWorkers 16
TypesConfig /etc/mime.types
AddDefaultCharset Off
{setenv}
DocumentRoot "{wp_root}"
DirectoryIndex index.php index.html
<FilesMatch "\\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
# Debian's layout: wp-content lives in /var/lib/wordpress (README.Debian), the themes are symlinks from there.
Alias /wp-content "{wp_content}"
Alias {media_path} "{dir}/media"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{wp_root}">
    Options FollowSymLinks
    AllowOverride None
    Require all granted
    # WordPress's own rules for pretty permalinks (what its .htaccess would say).
    RewriteEngine On
    RewriteBase /
    RewriteRule ^index\\.php$ - [L]
    RewriteCond %{{REQUEST_FILENAME}} !-f
    RewriteCond %{{REQUEST_FILENAME}} !-d
    RewriteRule . /index.php [L]
</Directory>
<Directory "{wp_content}">
    Options FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>
<Directory "{dir}/media">
    Require all granted
</Directory>
"""


class RealWordPress:
    """One WordPress site: ``start()``, then ``base_url``, ``php()``, ``use_theme()``, ``truth()``; ``stop()``."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.directory = Path(tempfile.mkdtemp(prefix="archiver-wordpress-"))
        self.directory.chmod(0o755)  # Apache's children run as www-data and serve the media from here
        token = secrets.token_hex(4)
        self.db_name = self.db_user = f"archiver_wp_{token}"
        self.db_password = secrets.token_hex(16)
        self.config_path: Path | None = None
        self.config_name: str | None = None  # set when config-127.0.0.1.php belongs to someone else
        self.apache: subprocess.Popen[bytes] | None = None
        self.theme: str | None = None
        self._database_created = False

    @classmethod
    def start(cls) -> RealWordPress:
        site = cls()
        try:
            site._create_database()
            site._write_config()
            site._install()
            site._start_apache()
            site.run_script(HERE / "fill.php")
        except BaseException:
            site.stop()
            raise
        return site

    # --- setup --------------------------------------------------------------------------------
    def _create_database(self) -> None:
        _sql(f"CREATE DATABASE `{self.db_name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; "
             f"CREATE USER '{self.db_user}'@'127.0.0.1' IDENTIFIED BY '{self.db_password}'; "
             f"CREATE USER '{self.db_user}'@'localhost' IDENTIFIED BY '{self.db_password}'; "
             f"GRANT ALL ON `{self.db_name}`.* TO '{self.db_user}'@'127.0.0.1'; "
             f"GRANT ALL ON `{self.db_name}`.* TO '{self.db_user}'@'localhost';")
        self._database_created = True

    def _write_config(self) -> None:
        """Debian's wp-config.php loads /etc/wordpress/config-HOST.php, HOST being the Host header without its
        port; where that file is someone else's, WORDPRESS_CONFIG names a private one instead (README.Debian)."""
        text = f"""<?php
{MARKER}: database {self.db_name}; removed when the test session ends.
define('DB_NAME', {_php_string(self.db_name)});
define('DB_USER', {_php_string(self.db_user)});
define('DB_PASSWORD', {_php_string(self.db_password)});
define('DB_HOST', '{MARIADB_HOST}:{MARIADB_PORT}');
define('DB_CHARSET', 'utf8mb4');
define('WP_HOME', {_php_string(self.base_url)});
define('WP_SITEURL', {_php_string(self.base_url)});
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_DEBUG', false);
"""
        CONFIG_DIR.mkdir(parents=True, exist_ok=True)
        path = CONFIG_DIR / "config-127.0.0.1.php"
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            self.config_name = f"archiver-test-{self.port}"
            path = CONFIG_DIR / f"config-{self.config_name}.php"
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
        self.config_path = path

    def _install(self) -> None:
        admin_password = secrets.token_hex(12)
        self.php(f"""
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
wp_install('Archiver Testblog', 'admin', 'admin@example.org', true, '', {_php_string(admin_password)});
update_option('timezone_string', 'Europe/Berlin');
update_option('show_avatars', 0);  // avatars would point to gravatar.com; this site stays on 127.0.0.1
update_option('blogdescription', 'Nachrichten aus der Netzwelt');
global $wp_rewrite;
$wp_rewrite->set_permalink_structure({_php_string(PERMALINKS)});
flush_rewrite_rules(false);
""", installing=True)
        media = self.directory / "media"
        media.mkdir()
        (media / "bild.png").write_bytes(_png(120, 80))
        (media / "titelbild.png").write_bytes(_png(240, 160))  # the featured images (fill.php)
        os.chmod(media, 0o755)

    def _start_apache(self) -> None:
        mod_php = _mod_php()
        assert mod_php is not None
        setenv = f"SetEnv WORDPRESS_CONFIG {self.config_name}" if self.config_name else ""
        conf = self.directory / "apache.conf"
        conf.write_text(APACHE_CONF.format(dir=self.directory, port=self.port, modules=APACHE_MODULES, mod_php=mod_php,
                                           setenv=setenv, wp_root=WP_ROOT, wp_content=WP_CONTENT,
                                           media_path=MEDIA_PATH))
        self.apache = subprocess.Popen([APACHE, "-f", str(conf), "-DFOREGROUND"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.apache.poll() is not None:
                assert self.apache.stderr is not None
                raise WordPressUnavailable(f"Apache did not start: {self.apache.stderr.read().decode()[-500:]} "
                                           f"{self._error_log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise WordPressUnavailable(f"Apache did not listen on 127.0.0.1:{self.port} within 20 s")

    def _error_log(self) -> str:
        log = self.directory / "error.log"
        return log.read_text(errors="replace")[-1000:] if log.exists() else ""

    # --- use ----------------------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        env = {**os.environ, "WP_HTTP_HOST": f"127.0.0.1:{self.port}", "WP_ROOT": str(WP_ROOT),
               "WP_MEDIA_URL": self.base_url + MEDIA_PATH}
        if self.config_name:
            env["WORDPRESS_CONFIG"] = self.config_name
        return env

    def run_script(self, script: Path, *args: str) -> str:
        """Run a PHP file that loads WordPress itself (as fill.php and truth.php do); its stdout."""
        result = subprocess.run(["php", "-d", "display_errors=stderr", "-d", "error_reporting=E_ALL & ~E_DEPRECATED",
                                 str(script), *args], capture_output=True, text=True, env=self._environment(),
                                timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"{script.name} failed ({result.returncode}): {result.stderr[-2000:]}"
                               f"{result.stdout[-2000:]}")
        return result.stdout

    def php(self, code: str, installing: bool = False) -> str:
        """Run PHP statements with WordPress loaded (``ABSPATH``, ``wp_update_post`` …); their stdout."""
        prelude = "<?php\n"
        if installing:
            prelude += ("define('WP_INSTALLING', true);\n"
                        "function wp_new_blog_notification($title, $url, $user_id, $password) {}  // no mail\n")
        prelude += f"require {_php_string(str(HERE / 'load.php'))};\n"
        with tempfile.NamedTemporaryFile("w", suffix=".php", dir=self.directory, delete=False) as script:
            script.write(prelude + code)
        try:
            return self.run_script(Path(script.name))
        finally:
            os.unlink(script.name)

    def use_theme(self, slug: str) -> None:
        if self.theme != slug:
            self.php(f"switch_theme({_php_string(slug)}); echo get_stylesheet();")
            self.theme = slug

    def truth(self) -> list[dict[str, Any]]:
        """Every published post as WordPress itself reports it (truth.php), oldest first."""
        return list(json.loads(self.run_script(HERE / "truth.php")))

    # --- teardown -----------------------------------------------------------------------------
    def stop(self) -> None:
        if self.apache is not None and self.apache.poll() is None:
            self.apache.terminate()  # the parent stops its www-data children
            try:
                self.apache.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.apache.kill()
                self.apache.wait(timeout=10)
        if self.apache is not None and self.apache.stderr is not None:
            self.apache.stderr.close()
        if self.config_path is not None and self.config_path.exists() and MARKER in self.config_path.read_text():
            self.config_path.unlink()
        if self._database_created:
            _sql(f"DROP DATABASE IF EXISTS `{self.db_name}`; DROP USER IF EXISTS '{self.db_user}'@'127.0.0.1'; "
                 f"DROP USER IF EXISTS '{self.db_user}'@'localhost';")
        shutil.rmtree(self.directory, ignore_errors=True)
