// The embedded default config: checks that work on any Linux host with no edits and give a first picture of it.
// What needs privileges it lacks (e.g. /etc/shadow, sshd -T) reports `unknown` with the reason.
export const DEFAULT_CONFIG_YAML = `# Vigie agent default configuration (embedded). Copy it to /etc/vigie/agent.yaml to edit.
collector:
  url: ws://127.0.0.1:8470/ingest
host:
  environment: production
  application: default
checks:
  # performance, every minute (spread over the minute so rounds do not pile up)
  - { id: cpu, type: cpu, schedule: "0 * * * * *", timeout: 10s }
  - { id: memory, type: memory, schedule: "5 * * * * *", timeout: 10s }
  - { id: filesystem, type: filesystem, schedule: "10 * * * * *", timeout: 20s }
  - { id: disk-io, type: disk-io, schedule: "15 * * * * *", timeout: 10s }
  - { id: network, type: network, schedule: "20 * * * * *", timeout: 10s }
  # security
  - { id: failed-logins, type: failed-logins, schedule: "30 */5 * * * *", timeout: 30s }
  - { id: firewall, type: firewall, schedule: "40 */10 * * * *", timeout: 20s }
  - { id: accounts, type: accounts, schedule: "45 3 * * * *", timeout: 20s }
  - { id: sshd, type: sshd-config, schedule: "50 3 * * * *", timeout: 20s }
  - { id: reboot, type: reboot-required, schedule: "55 3 * * * *", timeout: 20s }
  - { id: updates, type: package-updates, schedule: "0 7 */6 * * *", timeout: 5m }
  # drift: the host fingerprint, hourly
  - { id: fingerprint, type: fingerprint, schedule: "0 17 * * * *", timeout: 60s }
`;
