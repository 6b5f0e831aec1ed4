// The embedded default config: checks that work on any Linux host with no edits.
export const DEFAULT_CONFIG_YAML = `# Vigie agent default configuration (embedded). Copy it to /etc/vigie/agent.yaml to edit.
collector:
  url: ws://127.0.0.1:8470/ingest
host:
  environment: production
  application: default
checks:
  - id: filesystem
    type: filesystem
    schedule: "0 * * * * *"      # every minute, on the minute
    timeout: 20s
  - id: fingerprint
    type: fingerprint
    schedule: "0 17 * * * *"     # hourly
    timeout: 60s
`;
