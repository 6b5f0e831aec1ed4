import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ConfigSyntaxError,
  detectFormat,
  flatten,
  MAX_DEPTH,
  parseConfig,
  parseEnv,
  parseIni,
  parseJson,
  parseKeyValue,
  parseProperties,
  parseYaml,
} from './config-formats.js';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const asMap = (entries: [string, string][]) => new Map(entries);

describe('real configuration files captured on a Debian 12 host', () => {
  it('reads postgresql.conf as key = value, quotes and trailing comments removed', () => {
    const conf = asMap(parseConfig('keyvalue', testdata('postgresql-15.conf')));
    expect(conf.get('port')).toBe('5432');
    expect(conf.get('shared_buffers')).toBe('128MB');
    expect(conf.get('data_directory')).toBe('/var/lib/postgresql/15/main');
    expect(conf.get('log_line_prefix')).toBe('%m [%p] %q%u@%d ');
    expect(conf.get('datestyle')).toBe('iso, mdy');
    // Commented-out settings are defaults, not settings.
    expect(conf.has('#listen_addresses')).toBe(false);
    expect(conf.has('listen_addresses')).toBe(false);
    expect(conf.get('include_dir')).toBe('conf.d');
    expect(conf.size).toBe(22);
  });

  it("reads MariaDB's my.cnf as INI, a bare option included", () => {
    const conf = asMap(parseConfig('ini', testdata('mariadb-my.cnf')));
    expect(conf.get('client-server.socket')).toBe('/run/mysqld/mysqld.sock');
    expect(conf.get('mysqld.port')).toBe('3306');
    expect(conf.get('mysqld.skip-name-resolve')).toBe('');
    expect(conf.get('mysqld.collation-server')).toBe('utf8mb4_general_ci');
  });

  it("reads the JDK's java.security, continued lines joined", () => {
    const conf = asMap(parseConfig('properties', testdata('java-17.security.properties')));
    expect(conf.get('security.provider.1')).toBe('SUN');
    expect(conf.get('keystore.type')).toBe('pkcs12');
    expect(conf.get('package.definition')).toBe('sun.misc.,sun.reflect.');
    expect(conf.get('jdk.tls.disabledAlgorithms')).toBe(
      'SSLv3, TLSv1, TLSv1.1, DTLSv1.0, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, ' +
        '3DES_EDE_CBC, anon, NULL, ECDH',
    );
    // An empty value is a setting too.
    expect(conf.get('securerandom.drbg.config')).toBe('');
  });

  it("reads the JDK's logging.properties", () => {
    const conf = asMap(parseConfig('properties', testdata('java-17-logging.properties')));
    expect(conf.get('handlers')).toBe('java.util.logging.ConsoleHandler');
    expect(conf.get('.level')).toBe('INFO');
    expect(conf.get('java.util.logging.FileHandler.pattern')).toBe('%h/java%u.log');
  });
});

describe('format details', () => {
  it('reads .env files the way dotenv and docker do', () => {
    const text = [
      '# comment',
      'PLAIN=value # trailing comment',
      'export EXPORTED=yes',
      'DOUBLE="with \\"quotes\\" and\\nnewline"',
      "SINGLE='kept # as is'",
      'MULTI="first',
      'second"',
      'COLOUR=#ff0000',
      'EMPTY=',
      'not an assignment',
    ].join('\n');
    expect(parseEnv(text)).toEqual([
      ['PLAIN', 'value'],
      ['EXPORTED', 'yes'],
      ['DOUBLE', 'with "quotes" and\nnewline'],
      ['SINGLE', 'kept # as is'],
      ['MULTI', 'first\nsecond'],
      ['COLOUR', '#ff0000'],
      ['EMPTY', ''],
    ]);
  });

  it('numbers a key set several times (php.ini extensions) instead of keeping only the last', () => {
    const text = '[PHP]\nextension=mysqli\nextension=pdo_pgsql\nmemory_limit = 256M\n';
    expect(parseConfig('ini', text)).toEqual([
      ['PHP.extension[0]', 'mysqli'],
      ['PHP.extension[1]', 'pdo_pgsql'],
      ['PHP.memory_limit', '256M'],
    ]);
  });

  it('keeps an INI continuation with its key, so a wrapped secret never becomes a key name', () => {
    const text =
      '[tls]\nprivate_key = -----BEGIN PRIVATE KEY-----\n    MIIEvQIBADANBgkqhkiG9w0BAQEFAASC==\n    -----END PRIVATE KEY-----\nport: 443\n';
    expect(parseIni(text)).toEqual([
      [
        'tls.private_key',
        '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC==\n-----END PRIVATE KEY-----',
      ],
      ['tls.port', '443'],
    ]);
  });

  it('reads properties separators, escapes and unicode', () => {
    const text = 'a=1\nb : 2\nc 3\nkey\\=with\\:separators = v\nunicode=caf\\u00e9\n! bang comment\n';
    expect(parseProperties(text)).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['key=with:separators', 'v'],
      ['unicode', 'café'],
    ]);
  });

  it('reads key value lines with or without =, quotes undone', () => {
    const text = "Port 22\nPermitRootLogin no\nlisten_addresses = 'localhost' # only local\nname = 'it''s'\n";
    expect(parseKeyValue(text)).toEqual([
      ['Port', '22'],
      ['PermitRootLogin', 'no'],
      ['listen_addresses', 'localhost'],
      ['name', "it's"],
    ]);
  });

  it('flattens JSON with dots and [i], keeping empty containers and scalars of every type', () => {
    const text =
      '{"db":{"host":"h","port":5432,"ssl":true,"replicas":["r1","r2"],"opts":{},"tags":[]},"x":null}';
    expect(parseJson(text)).toEqual([
      ['db.host', 'h'],
      ['db.port', '5432'],
      ['db.ssl', 'true'],
      ['db.replicas[0]', 'r1'],
      ['db.replicas[1]', 'r2'],
      ['db.opts', '{}'],
      ['db.tags', '[]'],
      ['x', 'null'],
    ]);
  });

  it('flattens YAML the same way, and numbers several documents', () => {
    expect(parseYaml('db:\n  host: h\n  ports: [1, 2]\n')).toEqual([
      ['db.host', 'h'],
      ['db.ports[0]', '1'],
      ['db.ports[1]', '2'],
    ]);
    expect(parseYaml('a: 1\n---\na: 2\n')).toEqual([
      ['[0].a', '1'],
      ['[1].a', '2'],
    ]);
    expect(parseYaml('')).toEqual([]);
  });

  it('rejects a broken file without quoting any of it', () => {
    const secret = 'hunter2-must-not-leak';
    const broken = [
      () => parseJson(`{"password": "${secret}"`),
      () => parseYaml(`ok: 1\npassword: "${secret}\n  bad: [`),
    ];
    for (const parse of broken) {
      expect(parse).toThrow(ConfigSyntaxError);
      try {
        parse();
      } catch (err) {
        expect(
          JSON.stringify({ message: (err as Error).message, cause: (err as Error).cause }),
        ).not.toContain(secret);
      }
    }
    expect(() => parseYaml('a: 1\nb: [\n')).toThrow(/^invalid yaml \(line \d+\)$/);
    expect(() => parseJson('{')).toThrow(/^invalid json$/);
  });

  it('stops flattening at a depth no configuration reaches', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < MAX_DEPTH + 5; i++) deep = { d: deep };
    const entries = flatten(deep);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.[0].split('.').length).toBe(MAX_DEPTH + 1);
  });

  it('reads near-limit files of unlucky shapes in linear time', () => {
    const lines = 100_000;
    const started = performance.now();
    // An unclosed quote: the value runs to the end of the file.
    const env = parseEnv(`A="${'x\n'.repeat(lines)}`);
    expect(env[0]?.[1].length).toBe(2 * lines);
    parseProperties(`a=${'x\\\n'.repeat(lines)}`);
    detectFormat('/etc/app.conf', '\n'.repeat(10 * lines));
    // Quadratic versions of these took minutes; linear ones take milliseconds.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('guesses the format from the name', () => {
    expect(detectFormat('/srv/app/.env', '')).toBe('env');
    expect(detectFormat('/srv/app/.env.production', '')).toBe('env');
    expect(detectFormat('/srv/app/prod.env', '')).toBe('env');
    expect(detectFormat('/etc/php/8.2/fpm/php.ini', '')).toBe('ini');
    expect(detectFormat('/opt/app/application.properties', '')).toBe('properties');
    expect(detectFormat('/opt/app/config.json', '')).toBe('json');
    expect(detectFormat('/opt/app/config.yml', '')).toBe('yaml');
    expect(detectFormat('/opt/app/config.yaml', '')).toBe('yaml');
    expect(detectFormat('/etc/mysql/my.cnf', testdata('mariadb-my.cnf'))).toBe('ini');
    expect(detectFormat('/etc/postgresql/15/main/postgresql.conf', testdata('postgresql-15.conf'))).toBe(
      'keyvalue',
    );
    expect(detectFormat('/etc/nginx/nginx.conf', 'events {\n  worker_connections 768;\n}\n')).toBe('hash');
    expect(detectFormat('/etc/apache2/sites-enabled/app.conf', '<VirtualHost *:80>\n</VirtualHost>\n')).toBe(
      'hash',
    );
    expect(detectFormat('/opt/tomcat/conf/server.xml', '<Server/>')).toBe('hash');
  });
});
