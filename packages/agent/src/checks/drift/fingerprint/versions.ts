// Reads a version out of what a runtime, server or browser prints for `--version`: one small parser each.

/** The version read, and the item it belongs to when the output decides it (mysqld that is MariaDB). */
export interface VersionReading {
  version: string;
  item?: string;
}

export type VersionParser = (output: string) => VersionReading | undefined;

const first = (pattern: RegExp, output: string): VersionReading | undefined => {
  const version = pattern.exec(output)?.[1];
  return version === undefined ? undefined : { version };
};

/** `v20.20.2` */
export const parseNodeVersion: VersionParser = (output) => first(/^v(\d+\.\d+\.\d+\S*)/m, output);

/** `openjdk version "17.0.15" 2025-04-15` or `java version "1.8.0_202"`, on stderr. */
export const parseJavaVersion: VersionParser = (output) => first(/^\S+ version "([^"]+)"/m, output);

/** `Python 3.11.7` (Python 2 prints it on stderr). */
export const parsePythonVersion: VersionParser = (output) => first(/^Python (\d+\.\d+\S*)/m, output);

/** `PHP 8.2.28 (cli) (built: ...)`: the upstream number; the distribution's build is in `package.*`. */
export const parsePhpVersion: VersionParser = (output) => first(/^PHP (\d+\.\d+\.\d+)/m, output);

/** `postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)`, and `psql (PostgreSQL) ...` likewise. */
export const parsePostgresqlVersion: VersionParser = (output) => first(/\(PostgreSQL\) (\d[^\s,]*)/, output);

/**
 * `mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu ...` or, for Oracle's server,
 * `/usr/sbin/mysqld  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)`. A `mysqld` that is
 * MariaDB (Debian links one to the other) is reported as MariaDB.
 */
export const parseMysqlServerVersion: VersionParser = (output) => {
  const version = /\bVer (\d+\.\d+\.\d+)/.exec(output)?.[1];
  if (version === undefined) return undefined;
  return { version, item: /MariaDB/i.test(output) ? 'runtime.mariadb' : 'runtime.mysql' };
};

/** `nginx version: nginx/1.22.1`, on stderr (also `openresty/1.21.4.1`, an nginx build). */
export const parseNginxVersion: VersionParser = (output) =>
  first(/^nginx version: [^/\s]+\/(\d[^\s]*)/m, output);

/** `Server version: Apache/2.4.62 (Debian)`, from `apache2 -v` or `httpd -v`. */
export const parseApacheVersion: VersionParser = (output) =>
  first(/^Server version: Apache\/(\d[^\s]*)/m, output);

/** `Chromium 156.0.8078.108 built on Debian GNU/Linux 12 (bookworm)`, or `Chromium 120.0.6099.71 snap`. */
export const parseChromiumVersion: VersionParser = (output) => first(/^Chromium (\d+(?:\.\d+)+)/m, output);

/** `Google Chrome 131.0.6778.85` */
export const parseChromeVersion: VersionParser = (output) => first(/^Google Chrome (\d+(?:\.\d+)+)/m, output);

/** `Mozilla Firefox 128.5.0esr`: the `esr` suffix is kept, an ESR and a rapid release differ. */
export const parseFirefoxVersion: VersionParser = (output) => first(/^Mozilla Firefox (\d\S*)/m, output);

/**
 * Tomcat's `org/apache/catalina/util/ServerInfo.properties` (inside `catalina.jar`), what `version.sh` prints:
 * `server.info=Apache Tomcat/9.0.70`, else `server.number=9.0.70.0`.
 */
export const parseTomcatServerInfo: VersionParser = (properties) =>
  first(/^server\.info\s*[=:]\s*Apache Tomcat\/(\d\S*)/m, properties) ??
  first(/^server\.number\s*[=:]\s*(\d\S*)/m, properties);
