// Finds the Tomcat installations of the host and reads their version from catalina.jar, without starting a JVM.
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { glob } from 'tinyglobby';
import { hasErrorCode } from '../../failure.js';
import { parseManifest, readJarEntry } from './jar.js';
import { parseTomcatServerInfo } from './versions.js';

export const TOMCAT_ITEM = 'runtime.tomcat';
const SERVER_INFO = 'org/apache/catalina/util/ServerInfo.properties';

/** `$CATALINA_HOME`, then the distribution packages (`/usr/share/tomcat9`) and hand installs (`/opt/tomcat*`). */
export async function tomcatHomes(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const packaged = await glob(['/usr/share/tomcat*', '/opt/tomcat*'], {
    onlyDirectories: true,
    absolute: true,
  });
  const homes = [env.CATALINA_HOME, ...packaged.sort()].filter((home): home is string => !!home);
  return homes.map((home) => home.replace(/\/+$/, ''));
}

/**
 * `runtime.tomcat` = the versions found (sorted, joined with `, `), or `runtime.tomcat.error` when a
 * catalina.jar exists but none could be read. No catalina.jar anywhere gives no item.
 */
export async function tomcatItems(homes: readonly string[]): Promise<[string, string][]> {
  const jars = new Set<string>();
  for (const home of homes) {
    try {
      jars.add(await realpath(join(home, 'lib', 'catalina.jar')));
    } catch (err) {
      if (!hasErrorCode(err, 'ENOENT') && !hasErrorCode(err, 'ENOTDIR'))
        jars.add(join(home, 'lib', 'catalina.jar'));
    }
  }
  if (jars.size === 0) return [];
  const versions = new Set<string>();
  let error = '';
  for (const jar of jars) {
    try {
      const version = await catalinaVersion(jar);
      if (version === undefined) error = 'no version in catalina.jar';
      else versions.add(version);
    } catch (err) {
      error = (err as NodeJS.ErrnoException).code ?? 'unreadable catalina.jar';
    }
  }
  if (versions.size === 0) return [[`${TOMCAT_ITEM}.error`, error]];
  return [[TOMCAT_ITEM, [...versions].sort().join(', ')]];
}

/** ServerInfo.properties first (what `version.sh` prints), else the manifest's version attributes. */
export async function catalinaVersion(jar: string): Promise<string | undefined> {
  const serverInfo = await readJarEntry(jar, SERVER_INFO);
  const fromServerInfo = serverInfo && parseTomcatServerInfo(serverInfo.toString('utf8'))?.version;
  if (fromServerInfo) return fromServerInfo;
  const manifest = await readJarEntry(jar, 'META-INF/MANIFEST.MF');
  if (manifest === undefined) return undefined;
  const attributes = parseManifest(manifest.toString('utf8'));
  return attributes.get('Implementation-Version') ?? attributes.get('Specification-Version');
}
