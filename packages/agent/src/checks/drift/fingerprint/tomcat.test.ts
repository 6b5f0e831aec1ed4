import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, readJarEntry } from './jar.js';
import { catalinaVersion, tomcatHomes, tomcatItems } from './tomcat.js';
import { parseTomcatServerInfo } from './versions.js';

// The catalina jars were built here with the JDK's `jar` tool (deflated, or stored with `-0`): a real zip
// layout, holding ServerInfo.properties in the format of Tomcat's source
// (java/org/apache/catalina/util/ServerInfo.properties) and the manifest of its res/META-INF/default.manifest.
// No Tomcat is installed on this machine.
const jar = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const SERVER_INFO = 'org/apache/catalina/util/ServerInfo.properties';
const COMMONS_LANG = '/usr/share/java/commons-lang3.jar';

describe('reading a jar', () => {
  it('reads a deflated entry and a stored one', async () => {
    const deflated = await readJarEntry(jar('catalina-9.0.70.jar'), SERVER_INFO);
    expect(deflated?.toString('utf8')).toContain('server.info=Apache Tomcat/9.0.70');
    const stored = await readJarEntry(jar('catalina-10.1.16-stored.jar'), SERVER_INFO);
    expect(stored?.toString('utf8')).toContain('server.number=10.1.16.0');
  });

  it('answers undefined for an entry the jar lacks, and throws on a file that is not a zip', async () => {
    expect(await readJarEntry(jar('catalina-9.0.70.jar'), 'no/such/Entry.class')).toBeUndefined();
    await expect(readJarEntry(jar('version-node.txt'), SERVER_INFO)).rejects.toThrow(/not a zip/);
  });

  it.runIf(existsSync(COMMONS_LANG))(
    "reads the manifest of a jar built by Maven (Debian's commons-lang3)",
    async () => {
      const manifest = await readJarEntry(COMMONS_LANG, 'META-INF/MANIFEST.MF');
      const attributes = parseManifest(manifest?.toString('utf8') ?? '');
      expect(attributes.get('Implementation-Title')).toBe('Apache Commons Lang');
      expect(attributes.get('Implementation-Version')).toMatch(/^3\.\d+\.\d+$/);
      // A wrapped attribute comes back whole.
      expect(attributes.get('Bundle-Description')).toContain("classes that are in java.lang's hierarchy");
    },
  );

  it('joins the continuation lines of a manifest attribute', () => {
    const text =
      'Manifest-Version: 1.0\r\nBundle-Description: first part\r\n  second part\r\n\r\nName: x\r\n';
    expect([...parseManifest(text)]).toEqual([
      ['Manifest-Version', '1.0'],
      ['Bundle-Description', 'first part second part'],
    ]);
  });
});

describe('Tomcat versions', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'vigie-tomcat-'));
    for (const [home, file] of [
      ['tomcat9', 'catalina-9.0.70.jar'],
      ['tomcat10', 'catalina-10.1.16-stored.jar'],
      ['tomcat-broken', 'version-node.txt'],
    ] as const) {
      await mkdir(join(root, home, 'lib'), { recursive: true });
      await copyFile(jar(file), join(root, home, 'lib', 'catalina.jar'));
    }
    await mkdir(join(root, 'not-tomcat'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('reads server.info, else server.number', () => {
    expect(parseTomcatServerInfo('server.info=Apache Tomcat/9.0.70\nserver.number=9.0.70.0\n')).toEqual({
      version: '9.0.70',
    });
    expect(parseTomcatServerInfo('server.info=Hidden\nserver.number=9.0.70.0\n')).toEqual({
      version: '9.0.70.0',
    });
  });

  it('reads the version in catalina.jar', async () => {
    expect(await catalinaVersion(jar('catalina-9.0.70.jar'))).toBe('9.0.70');
  });

  it('lists every installation found, and nothing for a folder without catalina.jar', async () => {
    const homes = [join(root, 'tomcat9'), join(root, 'tomcat10'), join(root, 'not-tomcat')];
    expect(await tomcatItems(homes)).toEqual([['runtime.tomcat', '10.1.16, 9.0.70']]);
    expect(await tomcatItems([join(root, 'not-tomcat'), join(root, 'absent')])).toEqual([]);
  });

  it('reports a catalina.jar it cannot read', async () => {
    const items = await tomcatItems([join(root, 'tomcat-broken')]);
    expect(items).toEqual([['runtime.tomcat.error', 'unreadable catalina.jar']]);
  });

  it('looks in CATALINA_HOME first', async () => {
    const homes = await tomcatHomes({ CATALINA_HOME: `${join(root, 'tomcat9')}/` });
    expect(homes[0]).toBe(join(root, 'tomcat9'));
  });

  it('falls back on the manifest when ServerInfo.properties was removed', async () => {
    // Some hardening guides remove or blank it; the manifest then only has Tomcat's major.minor.
    expect(await catalinaVersion(jar('catalina-manifest-only.jar'))).toBe('9.0');
  });

  it('reports an empty catalina.jar', async () => {
    const lib = join(root, 'empty', 'lib');
    await mkdir(lib, { recursive: true });
    await writeFile(join(lib, 'catalina.jar'), Buffer.alloc(0));
    expect(await tomcatItems([join(root, 'empty')])).toEqual([
      ['runtime.tomcat.error', 'unreadable catalina.jar'],
    ]);
  });
});
