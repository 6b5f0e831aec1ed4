import { describe, expect, it } from 'vitest';
import {
  classifyDifference,
  compareVersions,
  DEFAULT_IGNORE,
  displayValue,
  globToRegExp,
  ignoreMatcher,
  PARITY_RULES,
  parseVersion,
  protectValue,
  releaseSeries,
  versionChange,
} from './rules.js';

describe('parseVersion', () => {
  it('splits Debian versions into epoch, upstream and revision', () => {
    expect(parseVersion('1:2.36-9+deb12u4')).toEqual({
      epoch: 1,
      upstream: '2.36',
      revision: '9+deb12u4',
      numbers: [2, 36],
      major: 2,
      minor: 36,
      patch: 0,
    });
    expect(parseVersion('131.0.6778.85-1~deb12u1')).toMatchObject({
      epoch: 0,
      upstream: '131.0.6778.85',
      revision: '1~deb12u1',
      major: 131,
      minor: 0,
      patch: 6778,
    });
    // The revision is after the last hyphen; hyphens inside upstream stay there.
    expect(parseVersion('2.0.0-rc1-3')).toMatchObject({ upstream: '2.0.0-rc1', revision: '3', major: 2 });
  });

  it('reads RPM version-release, plain versions, and versions inside a longer text', () => {
    expect(parseVersion('3.0.7-27.el9')).toMatchObject({ upstream: '3.0.7', revision: '27.el9', patch: 7 });
    expect(parseVersion('15.8')).toMatchObject({ major: 15, minor: 8, patch: 0, revision: '' });
    expect(parseVersion('v20.18.1')).toMatchObject({ major: 20, minor: 18, patch: 1 });
    expect(parseVersion('PostgreSQL 15.8 (Debian 15.8-0+deb12u1)')).toMatchObject({ major: 15, minor: 8 });
    expect(parseVersion('1.8.0_392')).toMatchObject({ numbers: [1, 8, 0, 392] });
  });

  it('takes the highest of several installed versions, and gives up on non-versions', () => {
    expect(parseVersion('6.1.76-1, 6.1.119-1')?.patch).toBe(119);
    expect(parseVersion('unknown')).toBeUndefined();
    expect(parseVersion('')).toBeUndefined();
  });

  it('orders versions by epoch, then numbers, then the rest', () => {
    const cmp = (a: string, b: string) => {
      const pa = parseVersion(a);
      const pb = parseVersion(b);
      if (!pa || !pb) throw new Error('unparsable');
      return compareVersions(pa, pb);
    };
    expect(cmp('13.4', '15.8')).toBe(-1);
    expect(cmp('1:1.0', '2.0')).toBe(1);
    expect(cmp('2.36-9+deb12u9', '2.36-9+deb12u7')).toBe(1);
    expect(cmp('1.10', '1.9')).toBe(1);
    expect(cmp('3.0.15-1', '3.0.15-1')).toBe(0);
  });

  it('names the most significant level that differs', () => {
    expect(versionChange('15.8', '15.8')).toBe('same');
    expect(versionChange('15.8', '13.4')).toBe('major');
    expect(versionChange('1:2.3', '2.3')).toBe('major');
    expect(versionChange('3.1.0', '3.0.15')).toBe('minor');
    expect(versionChange('3.0.15-1', '3.0.14-1')).toBe('patch');
    expect(versionChange('2.36-9+deb12u9', '2.36-9+deb12u7')).toBe('revision');
    expect(versionChange('abc', '1.0')).toBe('unparsable');
  });

  it('knows what the major version means for each product', () => {
    const series = (product: string, v: string) => {
      const p = parseVersion(v);
      if (!p) throw new Error('unparsable');
      return releaseSeries(product, p);
    };
    expect(series('postgresql', '15.8')).toBe('15');
    expect(series('postgresql', '9.6.24')).toBe('9.6');
    expect(series('mariadb', '10.11.6')).toBe('10.11');
    expect(series('mysql', '8.0.36')).toBe('8.0');
    expect(series('java', '1.8.0_392')).toBe('8');
    expect(series('java', '17.0.9')).toBe('17');
    expect(series('python3', '3.11.2')).toBe('3.11');
    expect(series('node', '20.18.1')).toBe('20');
  });
});

describe('classifyDifference', () => {
  const c = (item: string, p: string | undefined, o: string | undefined) => {
    const v = classifyDifference(item, p, o, 'iso-production');
    return `${v.severity} ${v.rule}`;
  };

  it('a different database major version is critical, a minor one a warning', () => {
    expect(c('runtime.postgresql', '15.8', '13.4')).toBe('critical database.major');
    expect(c('runtime.postgresql', '15.8', '15.6')).toBe('warning database.minor');
    expect(c('runtime.postgresql', '9.6.24', '9.5.25')).toBe('critical database.major');
    expect(c('runtime.mysql', '8.0.36', '8.4.0')).toBe('critical database.major');
    expect(c('runtime.mariadb', '10.11.6', '10.11.7')).toBe('warning database.minor');
    expect(classifyDifference('runtime.postgresql', '15.8', '13.4').reason).toContain('13 vs 15');
  });

  it('less memory or fewer cores than production is a warning, more is information', () => {
    expect(c('cpu.cores', '8', '4')).toBe('warning capacity.lower');
    expect(c('cpu.cores', '8', '16')).toBe('info capacity.higher');
    expect(c('memory.total_bytes', '33554432000', '16777216000')).toBe('warning capacity.lower');
    expect(c('memory.total_bytes', '16777216000', '33554432000')).toBe('info capacity.higher');
    const why = classifyDifference(
      'memory.total_bytes',
      '33554432000',
      '16777216000',
      'iso-production',
    ).reason;
    expect(why).toBe(
      'iso-production has less memory than production (15.6 GiB < 31.3 GiB): slower, and may not hold all the data',
    );
    expect(c('fs./var/lib/postgresql.size_bytes', '500000000000', '100000000000')).toBe(
      'warning fs.size.lower',
    );
    expect(c('fs./var/lib/postgresql.size_bytes', '100', '500')).toBe('info fs.size.higher');
    expect(c('cpu.cores', 'eight', '4')).toBe('info other');
  });

  it('browsers: major differs is a warning, minor information', () => {
    expect(c('browser.chromium', '131.0.6778.85-1~deb12u1', '129.0.6668.100-1~deb12u1')).toBe(
      'warning browser.major',
    );
    expect(c('browser.chromium', '131.0.6778.85-1~deb12u1', '131.0.6778.108-1~deb12u1')).toBe(
      'info browser.minor',
    );
    expect(c('browser.firefox', '128.5.0esr-1~deb12u1', '115.18.0esr-1~deb12u1')).toBe(
      'warning browser.major',
    );
  });

  it('runtimes: release branch differs is a warning, else information', () => {
    expect(c('runtime.node', '20.18.1', '18.20.4')).toBe('warning runtime.major');
    expect(c('runtime.node', '20.18.1', '20.11.0')).toBe('info runtime.minor');
    expect(c('runtime.java', '17.0.9', '1.8.0_392')).toBe('warning runtime.major');
    expect(c('runtime.python3', '3.11.2', '3.9.2')).toBe('warning runtime.major');
    expect(c('runtime.nginx', '1.22.1', '1.22.0')).toBe('info runtime.minor');
    expect(c('runtime.tomcat', '10.1.16', '9.0.83')).toBe('warning runtime.major');
  });

  it('packages: major is a warning, minor and patch information', () => {
    expect(c('package.openssl', '3.0.15-1~deb12u1', '1.1.1w-0+deb11u1')).toBe('warning package.major');
    expect(c('package.openssl', '3.1.0-1', '3.0.15-1~deb12u1')).toBe('info package.minor');
    expect(c('package.libc6', '2.36-9+deb12u9', '2.36-9+deb12u7')).toBe('info package.patch');
    expect(c('package.openssh-server', '1:9.2p1-2+deb12u3', '1:9.2p1-2+deb12u2')).toBe('info package.patch');
  });

  it('operating system rules', () => {
    expect(c('os.distro', 'Debian GNU/Linux', 'Ubuntu')).toBe('warning os.distro');
    expect(c('os.release', '12', '11')).toBe('warning os.release.major');
    expect(c('os.release', '9.4', '9.3')).toBe('info os.release.minor');
    expect(c('os.kernel', '6.1.0-28-amd64', '6.1.0-26-amd64')).toBe('info os.kernel');
    expect(c('os.arch', 'x64', 'arm64')).toBe('warning os.arch');
    expect(c('os.timezone', 'Europe/Paris', 'UTC')).toBe('warning os.timezone');
    expect(c('os.locale', 'fr_FR.UTF-8', 'C.UTF-8')).toBe('warning os.locale');
  });

  it('configuration: values differ is a warning; a secret differs without its values', () => {
    expect(c('config./etc/app/app.env.DB_HOST', 'db1', 'db2')).toBe('warning config.value');
    const secret = classifyDifference(
      'config./etc/app/app.env.DB_PASSWORD',
      `hmac-sha256:${'a'.repeat(64)}`,
      `hmac-sha256:${'b'.repeat(64)}`,
    );
    expect(secret).toEqual({ severity: 'warning', rule: 'config.secret', reason: 'secret differs' });
    expect(c('config./etc/app/app.env.SMTP_PASSWORD', 'x', 'y')).toBe('warning config.secret');
    expect(c('config./etc/app/app.env.DB_PASSWORD', 'redacted', `hmac-sha256:${'b'.repeat(64)}`)).toBe(
      'warning config.secret',
    );
    // A secret inside a readable value: only the hashed password differs, or the readable part too.
    const url = (host: string, h: string) => `postgres://app:hmac-sha256:${h.repeat(64)}@${host}/shop`;
    expect(c('config./etc/app/app.env.DATABASE_URL', url('db1', 'a'), url('db1', 'b'))).toBe(
      'warning config.secret',
    );
    expect(c('config./etc/app/app.env.DATABASE_URL', url('db1', 'a'), url('db2', 'a'))).toBe(
      'warning config.value',
    );
    // Hashed with different keys, secrets cannot be compared; the key difference itself is reported.
    expect(
      classifyDifference(
        'config./a.DB_PASSWORD',
        `hmac-sha256:${'a'.repeat(64)}`,
        `hmac-sha256:${'b'.repeat(64)}`,
        'staging',
        {
          secretsComparable: false,
        },
      ).rule,
    ).toBe('config.secret.uncomparable');
    expect(c('secret.key.id', '0123456789abcdef', 'fedcba9876543210')).toBe('warning secret.key');
    expect(c('file./etc/nginx/nginx.conf.sha256', 'aa', 'bb')).toBe('info file.content');
  });

  it('an item on one side only: warning for runtime, browser, config; information for a package', () => {
    expect(c('runtime.redis', '7.0.15', undefined)).toBe('warning missing.runtime');
    expect(c('browser.firefox', undefined, '128.5.0esr')).toBe('warning missing.runtime');
    expect(c('config./etc/app/app.env.FEATURE_X', 'on', undefined)).toBe('warning missing.runtime');
    expect(c('package.curl', '7.88.1-10+deb12u8', undefined)).toBe('info missing.other');
    expect(c('fs./data.size_bytes', '1000', undefined)).toBe('warning missing.fs');
    expect(c('fs./scratch.size_bytes', undefined, '1000')).toBe('info missing.other');
    expect(c('runtime.tomcat.error', undefined, 'EACCES')).toBe('info error');
    expect(c('fs./mnt/share.error', 'ETIMEDOUT', undefined)).toBe('info error');
    expect(c('file./etc/app.env.parse_error', 'x', 'y')).toBe('info error');
    expect(c('config./etc/app.ini.log.error', 'syslog', 'file')).toBe('warning config.value');
    expect(classifyDifference('package.curl', '7.88.1', undefined, 'staging').reason).toBe(
      'package.curl missing in staging',
    );
  });

  it('every rule it uses is documented', () => {
    const ids = new Set(PARITY_RULES.map((r) => r.id));
    const samples: Array<[string, string | undefined, string | undefined]> = [
      ['runtime.postgresql', '15.8', '13.4'],
      ['x.y', 'a', 'b'],
      ['cpu.model', 'AMD EPYC', 'Intel Xeon'],
      ['fs./.type', 'ext4', 'xfs'],
      ['os.codename', 'bookworm', 'bullseye'],
    ];
    for (const [item, p, o] of samples) expect(ids.has(classifyDifference(item, p, o).rule)).toBe(true);
  });
});

describe('secrets', () => {
  const hmac = `hmac-sha256:${'0123456789abcdef'.repeat(4)}`;

  it('shows an HMAC only truncated, and hides an unhashed value under a secret name', () => {
    expect(displayValue('config./etc/app/app.env.DB_PASSWORD', hmac)).toBe('hmac-sha256:01234567…');
    expect(displayValue('config./etc/app/app.env.SMTP_PASSWORD', 'hunter2')).toBe('[redacted]');
    expect(displayValue('config./etc/app/app.env.API_TOKEN', 'tok')).toBe('[redacted]');
    expect(displayValue('config./etc/app/app.env.DB_HOST', 'db1')).toBe('db1');
    expect(displayValue('package.python3-secretstorage', '3.3.3-1')).toBe('3.3.3-1');
    expect(displayValue('os.kernel', undefined)).toBeNull();
    expect(displayValue('config./etc/app/app.env.DB_PASSWORD', 'redacted')).toBe('redacted');
    expect(
      displayValue(
        'config./etc/app/app.env.DATABASE_URL',
        `postgres://app:${hmac}@db/shop?sslpassword=${hmac}`,
      ),
    ).toBe('postgres://app:hmac-sha256:01234567…@db/shop?sslpassword=hmac-sha256:01234567…');
    expect(displayValue('file./etc/app/app.env.sha256', hmac)).toBe('hmac-sha256:01234567…');
  });

  it('keeps an unhashed secret only as a digest bound to its item', () => {
    const p = protectValue('config./etc/app/app.env.SMTP_PASSWORD', 'hunter2');
    expect(p).toMatch(/^redacted-sha256:[0-9a-f]{64}$/);
    expect(p).not.toContain('hunter2');
    expect(protectValue('config./etc/other.env.SMTP_PASSWORD', 'hunter2')).not.toBe(p);
    expect(protectValue('config./etc/app/app.env.DB_PASSWORD', hmac)).toBe(hmac);
    expect(protectValue('config./etc/app/app.env.DB_HOST', 'db1')).toBe('db1');
  });
});

describe('ignore patterns', () => {
  it('matches globs where * spans dots and slashes', () => {
    expect(globToRegExp('config.*.DB_HOST').test('config./etc/app/app.env.DB_HOST')).toBe(true);
    expect(globToRegExp('config.*.DB_HOST').test('config./etc/app/app.env.DB_HOSTS')).toBe(false);
    expect(globToRegExp('os.hostname').test('os_hostname')).toBe(false);
    expect(globToRegExp('a+b(c)').test('a+b(c)')).toBe(true);
  });

  it('ignores host names and addresses by default', () => {
    const ignored = ignoreMatcher(DEFAULT_IGNORE);
    expect(ignored('os.hostname')).toBe(true);
    expect(ignored('net.eth0.mac')).toBe(true);
    expect(ignored('app.listen.ip')).toBe(true);
    expect(ignored('os.kernel')).toBe(false);
    expect(ignored('package.iproute2')).toBe(false);
  });
});
