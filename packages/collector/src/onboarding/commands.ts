// The commands a provider runs on a client server to onboard it: install the agent package, then enroll it.
// Printed by `vigie-collector enrollments create`; the file names are those `npm run package` builds.

export interface OnboardingCommands {
  /** Each distribution family with its two commands (install, enroll). */
  families: Array<{ family: string; install: string; enroll: string }>;
}

/** The ingest URL an agent is given: ws(s)://host[:port]/ingest, from an http(s) or ws(s) base or ingest URL. */
export function agentIngestUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`"${url}" is not a URL (expected wss://host[:port]/ingest)`);
  }
  const scheme = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' }[u.protocol];
  if (!scheme)
    throw new Error(`"${url}": the agent speaks ws:// or wss:// (or give http(s)://), not ${u.protocol}`);
  const path = u.pathname === '/' || u.pathname === '' ? '/ingest' : u.pathname;
  return `${scheme}//${u.host}${path}`;
}

/** The pair of commands per distribution family for one enrollment token and agent version. */
export function onboardingCommands(p: { url: string; token: string; version: string }): OnboardingCommands {
  const enroll = `vigie-agent enroll --url ${p.url} --token ${p.token}`;
  const tarball = `vigie-agent-${p.version}-linux-x64`;
  return {
    families: [
      {
        family: 'Debian, Ubuntu (x86-64)',
        install: `apt-get install ./vigie-agent_${p.version}_amd64.deb`,
        enroll,
      },
      {
        family: 'other Linux with systemd or none (x86-64)',
        install: `tar -xzf ${tarball}.tar.gz && ./${tarball}/install.sh`,
        enroll,
      },
    ],
  };
}

/** The text printed: each family's two commands, to run as root on the client server. */
export function formatOnboarding(c: OnboardingCommands): string {
  return c.families
    .map((f) => `on the server, as root (${f.family}):\n  ${f.install}\n  ${f.enroll}\n`)
    .join('');
}
