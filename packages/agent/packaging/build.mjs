#!/usr/bin/env node
// `npm run package`: the agent as artefacts a provider installs on client servers that have no Node.js, no
// compiler and no registry access. Steps: one CommonJS file (esbuild), a Node single executable application
// (node --experimental-sea-config + postject) for linux-x64, then a Debian package (dpkg-deb) and a tarball
// with install.sh for other distributions. Each artefact gets a .sha256 file beside it. Options:
//   --version X.Y.Z   the version to stamp (default: packages/agent/package.json)
//   --out DIR         where the artefacts go (default: packages/agent/packaging/out)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const agentDir = resolve(here, '..');
const root = resolve(agentDir, '../..');
const { values } = parseArgs({ options: { version: { type: 'string' }, out: { type: 'string' } } });
const version = values.version ?? JSON.parse(readFileSync(join(agentDir, 'package.json'), 'utf8')).version;
if (!/^\d+\.\d+\.\d+([~+.][0-9A-Za-z.~+]+)?$/.test(version)) {
  console.error(`package: --version "${version}" is not a version such as 1.2.3`);
  process.exit(2);
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(
    `package: builds linux-x64 artefacts from a linux-x64 Node (this is ${process.platform}-${process.arch})`,
  );
  process.exit(2);
}
const out = resolve(values.out ?? join(here, 'out'));
const work = join(out, 'work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
const step = (what) => console.log(`package: ${what}`);

// 1. One file. CommonJS because a Node 20 single executable runs its main script as CommonJS. The check plugins
// stay behind `import()`: esbuild turns each into a lazily run module initialiser (__esm), so a check's code is
// evaluated only when a configured check needs it, as in the dev build.
step('bundle (esbuild)');
const bundle = join(work, 'vigie-agent.cjs');
await build({
  entryPoints: [join(agentDir, 'src/cli.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  // The shared contract from its sources: no build of packages/shared needed first.
  alias: { '@vigie/shared': join(root, 'packages/shared/src/index.ts') },
  // ws's optional native speed-ups: absent, ws uses its JavaScript code.
  external: ['bufferutil', 'utf-8-validate'],
  // Some dependencies' ESM builds read import.meta.url (node-cron, tinyglobby): in CommonJS it is this file.
  banner: { js: 'const __vigieImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { VIGIE_AGENT_VERSION: JSON.stringify(version), 'import.meta.url': '__vigieImportMetaUrl' },
  logLevel: 'warning',
});

// 2. The single executable: this Node binary, stripped of its debug symbols, with the bundle injected.
step('single executable (node --experimental-sea-config, postject)');
const exe = join(work, 'vigie-agent');
writeFileSync(
  join(work, 'sea-config.json'),
  JSON.stringify({ main: bundle, output: join(work, 'sea-prep.blob'), disableExperimentalSEAWarning: true }),
);
run(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')]);
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
// (strip warns about Node's many note sections: harmless, hence stderr ignored)
run('strip', ['--strip-debug', exe], { stdio: 'ignore' });
run(process.execPath, [
  join(root, 'node_modules/postject/dist/cli.js'),
  exe,
  'NODE_SEA_BLOB',
  join(work, 'sea-prep.blob'),
  '--sentinel-fuse',
  'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
]);
const said = run(exe, ['version'], { env: { PATH: '/usr/bin:/bin' } })
  .toString()
  .trim();
if (said !== `vigie-agent ${version}`)
  throw new Error(`the executable says "${said}", not vigie-agent ${version}`);

// The unit and the config every artefact carries.
const unit = readFileSync(join(agentDir, 'systemd/vigie-agent.service'), 'utf8');
const config = readFileSync(join(here, 'agent.yaml'), 'utf8');

// 3. The Debian package.
step('Debian package (dpkg-deb)');
const debName = `vigie-agent_${version}_amd64.deb`;
const deb = join(work, 'deb');
const put = (path, content, mode) => {
  const target = join(deb, path);
  mkdirSync(dirname(target), { recursive: true });
  if (typeof content === 'string') writeFileSync(target, content);
  else copyFileSync(content.file, target);
  chmodSync(target, mode);
};
put('usr/bin/vigie-agent', { file: exe }, 0o755);
put('lib/systemd/system/vigie-agent.service', unit, 0o644);
put('etc/vigie/agent.yaml', config, 0o644); // postinst gives it to the vigie-agent group, 0640
put('usr/share/doc/vigie-agent/README', readFileSync(join(here, 'README.md'), 'utf8'), 0o644);
const installedKb = Math.ceil(
  ['usr/bin/vigie-agent', 'lib/systemd/system/vigie-agent.service', 'etc/vigie/agent.yaml'].reduce(
    (n, p) => n + statSync(join(deb, p)).size,
    0,
  ) / 1024,
);
put(
  'DEBIAN/control',
  readFileSync(join(here, 'debian/control'), 'utf8')
    .replace('@VERSION@', version)
    .replace('@INSTALLED_SIZE@', String(installedKb)),
  0o644,
);
put('DEBIAN/conffiles', '/etc/vigie/agent.yaml\n', 0o644);
for (const script of ['postinst', 'prerm', 'postrm'])
  put(`DEBIAN/${script}`, readFileSync(join(here, 'debian', script), 'utf8'), 0o755);
// gzip rather than xz: the package is mostly the Node binary, and xz would take a minute for little gain.
run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', deb, join(out, debName)]);

// 4. The tarball for other distributions.
step('tarball with install.sh');
const tarDir = `vigie-agent-${version}-linux-x64`;
const tarRoot = join(work, 'tar', tarDir);
mkdirSync(tarRoot, { recursive: true });
copyFileSync(exe, join(tarRoot, 'vigie-agent'));
writeFileSync(join(tarRoot, 'vigie-agent.service'), unit);
writeFileSync(join(tarRoot, 'agent.yaml'), config);
cpSync(join(here, 'install.sh'), join(tarRoot, 'install.sh'));
cpSync(join(here, 'README.md'), join(tarRoot, 'README.md'));
chmodSync(join(tarRoot, 'vigie-agent'), 0o755);
chmodSync(join(tarRoot, 'install.sh'), 0o755);
const tarball = join(out, `${tarDir}.tar.gz`);
run('tar', ['--owner=0', '--group=0', '--sort=name', '-czf', tarball, '-C', join(work, 'tar'), tarDir]);

// 5. The bare executable too, and a SHA-256 file beside each artefact (`sha256sum -c` reads it).
const exeOut = join(out, `vigie-agent-${version}-linux-x64`);
copyFileSync(exe, exeOut);
chmodSync(exeOut, 0o755);
for (const file of [join(out, debName), tarball, exeOut]) {
  const sum = createHash('sha256').update(readFileSync(file)).digest('hex');
  writeFileSync(`${file}.sha256`, `${sum}  ${basename(file)}\n`);
  console.log(
    `  ${basename(file)}  ${(statSync(file).size / 1048576).toFixed(1)} MB  sha256 ${sum.slice(0, 16)}…`,
  );
}
console.log(`package: bundle ${(statSync(bundle).size / 1024).toFixed(0)} KB; artefacts in ${out}`);
