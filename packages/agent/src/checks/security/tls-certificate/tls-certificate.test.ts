import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCheck } from '../../../../../../test/support/built-check.js';
import type { CheckContext } from '../../types.js';
import { parseOpenSslDate, readCertificates, shortSubject, soonestExpiry } from './certificate.js';
import tlsDefault, { tlsCertificateFileCheck } from './index.js';
import { TlsCertificateOptionsSchema } from './options.js';

const run = promisify(execFile);
const DAY_MS = 86_400_000;
const testdataPath = (name: string) => new URL(`./testdata/${name}`, import.meta.url).pathname;
const testdata = (name: string) => readFileSync(testdataPath(name));
const context = (now = new Date()): CheckContext => ({
  signal: new AbortController().signal,
  now: () => now,
  state: new Map(),
});

let folder: string;

/** A real self-signed certificate made by openssl, valid for `days` from now; returns [cert, key] paths. */
async function selfSigned(name: string, days: number): Promise<[string, string]> {
  const cert = join(folder, `${name}.pem`);
  const key = join(folder, `${name}.key`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    String(days),
    '-subj',
    `/O=Vigie tests/CN=${name}.example.test`,
  ]);
  return [cert, key];
}

/** The expiry openssl itself reads from a certificate, to compare with ours. */
async function opensslNotAfter(cert: string): Promise<number> {
  const { stdout } = await run('openssl', ['x509', '-in', cert, '-noout', '-enddate']);
  return parseOpenSslDate(stdout.trim().replace('notAfter=', '')) ?? Number.NaN;
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'vigie-tls-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('reading certificate files', () => {
  it('reads the subject and expiry of a real self-signed certificate', () => {
    expect(readCertificates(testdata('self-signed-vigie-test.pem'))).toEqual([
      { subject: 'CN=vigie-test.example.org', notAfterMs: Date.UTC(2036, 10, 25, 12, 49, 57) },
    ]);
  });

  it('reads every certificate of a chain and picks the first to expire', () => {
    const chain = readCertificates(testdata('chain-leaf-then-ca.pem'));
    expect(chain.map((c) => c.subject)).toEqual(['CN=shop.vigie-test.example.org', 'CN=Vigie Test CA']);
    expect(soonestExpiry(chain)).toEqual({
      subject: 'CN=shop.vigie-test.example.org',
      notAfterMs: Date.UTC(2027, 1, 26, 12, 49, 57),
    });
  });

  it('parses the dates openssl prints, padded days included', () => {
    expect(parseOpenSslDate('Feb  6 01:02:03 2027 GMT')).toBe(Date.UTC(2027, 1, 6, 1, 2, 3));
    expect(parseOpenSslDate('2027-02-06T01:02:03Z')).toBeUndefined();
  });

  it('names a certificate by its common name, or its whole subject without one', () => {
    expect(shortSubject('O=Acme\nCN=shop.acme.test')).toBe('CN=shop.acme.test');
    expect(shortSubject('C=FR\nO=Acme')).toBe('C=FR, O=Acme');
  });
});

describe('tls-certificate-file check', () => {
  it('is ok, warning, then critical as real certificates near their expiry', async () => {
    const [far] = await selfSigned('far', 400);
    const [soon] = await selfSigned('soon', 20);
    const [imminent] = await selfSigned('imminent', 3);
    const ok = await tlsCertificateFileCheck.run({ path: far }, context());
    expect(ok.status).toBe('ok');
    expect(ok.metrics.days_left).toBeCloseTo(400, 0);
    expect(ok.metrics.not_after_epoch_seconds).toBe((await opensslNotAfter(far)) / 1000);

    const warning = await tlsCertificateFileCheck.run({ path: soon }, context());
    expect(warning.status).toBe('warning');
    expect(warning.message).toMatch(
      /CN=soon\.example\.test expires in 20\.0 days \(.*Z\) \(warning <= 30 days\)$/,
    );

    const critical = await tlsCertificateFileCheck.run({ path: imminent }, context());
    expect(critical.status).toBe('critical');
    expect(critical.message).toContain('(critical <= 7 days)');
    expect((await tlsCertificateFileCheck.run({ path: soon, warningDays: 10 }, context())).status).toBe('ok');
    expect((await tlsCertificateFileCheck.run({ path: soon, criticalDays: 21 }, context())).status).toBe(
      'critical',
    );
  });

  it('is critical with negative days once the certificate has expired', async () => {
    const [cert] = await selfSigned('expired', 1);
    const tenDaysLater = new Date(Date.now() + 10 * DAY_MS);
    const outcome = await tlsCertificateFileCheck.run({ path: cert }, context(tenDaysLater));
    expect(outcome.status).toBe('critical');
    expect(outcome.metrics.days_left).toBeCloseTo(-9, 1);
    expect(outcome.message).toMatch(/CN=expired\.example\.test expired 9\.0 days ago/);
  });

  it('reports the soonest expiry of a chain made by a real CA', async () => {
    const [caCert, caKey] = await selfSigned('ca', 3650);
    const leafKey = join(folder, 'leaf.key');
    const csr = join(folder, 'leaf.csr');
    const leafCert = join(folder, 'leaf.pem');
    await run(
      'openssl',
      ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
        '-keyout',
        leafKey,
        '-out',
        csr,
        '-subj',
        '/CN=leaf.example.test',
      ]),
    );
    await run(
      'openssl',
      ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial'].concat([
        '-out',
        leafCert,
        '-days',
        '5',
      ]),
    );
    // CA first, leaf second: the soonest expiry wins whatever the order.
    const chain = join(folder, 'chain.pem');
    await writeFile(chain, Buffer.concat([await readFile(caCert), await readFile(leafCert)]));
    const outcome = await tlsCertificateFileCheck.run({ path: chain }, context());
    expect(outcome.status).toBe('critical');
    expect(outcome.metrics.days_left).toBeCloseTo(5, 0);
    expect(outcome.message).toContain('first to expire of 2 certificates: CN=leaf.example.test expires in');
  });

  it('reads a key + certificate bundle without ever showing the key', async () => {
    const [cert, key] = await selfSigned('bundle', 90);
    const bundle = join(folder, 'bundle.pem');
    await writeFile(bundle, Buffer.concat([await readFile(key), await readFile(cert)]));
    const outcome = await tlsCertificateFileCheck.run({ path: bundle }, context());
    expect(outcome.status).toBe('ok');
    expect(outcome.message).not.toMatch(/PRIVATE|BEGIN|MII/);
  });

  it('reads a DER certificate too', async () => {
    const [cert] = await selfSigned('der', 60);
    const der = join(folder, 'der.crt');
    await run('openssl', ['x509', '-in', cert, '-outform', 'DER', '-out', der]);
    expect((await tlsCertificateFileCheck.run({ path: der }, context())).metrics.days_left).toBeCloseTo(
      60,
      0,
    );
  });

  it('is unknown, with the reason and without the contents, for files it cannot use', async () => {
    const missing = await tlsCertificateFileCheck.run({ path: join(folder, 'missing.pem') }, context());
    expect(missing).toEqual({
      status: 'unknown',
      metrics: {},
      message: expect.stringMatching(/^cannot read a certificate from .*missing\.pem: ENOENT/),
    });

    const notes = join(folder, 'notes.txt');
    await writeFile(notes, 'secret-password=hunter2\n');
    const text = await tlsCertificateFileCheck.run({ path: notes }, context());
    expect(text.status).toBe('unknown');
    expect(text.message).toContain('no certificate in the file');
    expect(text.message).not.toContain('hunter2');

    const broken = join(folder, 'broken.pem');
    await writeFile(broken, '-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
    const corrupt = await tlsCertificateFileCheck.run({ path: broken }, context());
    expect(corrupt.message).toMatch(/certificate 1 of 1 is not a valid X\.509 certificate$/);
    expect(corrupt.message).not.toContain('Tm90');

    const dir = await tlsCertificateFileCheck.run({ path: folder }, context());
    expect(dir.message).toMatch(/not a regular file$/);
  });

  // Root reads any file whatever its mode, so the check runs as `nobody` in a child process when the
  // tests run as root (it imports the built plugin, which `npm test` builds first).
  it('is unknown when the agent may not read the file', async () => {
    const [cert] = await selfSigned('private', 90);
    await chmod(cert, 0o000);
    await chmod(dirname(cert), 0o755);
    const outcome = await runBuiltCheck({
      module: fileURLToPath(
        new URL('../../../../dist/checks/security/tls-certificate/index.js', import.meta.url),
      ),
      check: 'tlsCertificateFileCheck',
      options: { path: cert },
      asNobody: true,
    });
    expect(outcome.status).toBe('unknown');
    expect(outcome.message).toContain('EACCES');
  });

  it('is exported by name and by default, and requires an absolute path', () => {
    expect(tlsDefault).toBe(tlsCertificateFileCheck);
    expect(tlsCertificateFileCheck.type).toBe('tls-certificate-file');
    expect(Value.Check(TlsCertificateOptionsSchema, { path: '/etc/ssl/site.pem', warningDays: 14 })).toBe(
      true,
    );
    expect(Value.Check(TlsCertificateOptionsSchema, { path: 'site.pem' })).toBe(false);
    expect(Value.Check(TlsCertificateOptionsSchema, {})).toBe(false);
  });

  it('reads the real certificate kept in testdata', async () => {
    const now = new Date(Date.UTC(2036, 10, 15, 12, 49, 57));
    const outcome = await tlsCertificateFileCheck.run(
      { path: testdataPath('self-signed-vigie-test.pem') },
      context(now),
    );
    expect(outcome).toMatchObject({ status: 'warning', metrics: { days_left: 10 } });
  });
});
