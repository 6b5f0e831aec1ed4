// The agent's version: stamped by the packaging build (esbuild `define`), else the one of this checkout.
declare const VIGIE_AGENT_VERSION: string | undefined;

export const AGENT_VERSION: string = typeof VIGIE_AGENT_VERSION === 'string' ? VIGIE_AGENT_VERSION : '0.1.0';
