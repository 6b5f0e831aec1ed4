// An application's parity as a side-by-side diff: item | production | iso-production | severity | first seen,
// grouped by kind (OS, packages, runtimes, config files, capacity), filtered by severity, secrets shown as
// "differs" (their hashes mean nothing to a reader), with ignore / accept actions and the Markdown report.
import { ApiFailure, api, q, request } from './api';
import { zoneOf } from './common';
import { $, type Child, fill, h, openDialog } from './dom';
import { dateTime, locale, t, tv } from './i18n';
import { isProvider, state } from './state';
import type { Difference, ParityReport } from './types';

const KINDS = ['os', 'packages', 'runtimes', 'config', 'capacity', 'other'] as const;
type Kind = (typeof KINDS)[number];

export function kindOf(item: string): Kind {
  if (/^(os|kernel|locale)\./.test(item)) return 'os';
  if (item.startsWith('package.')) return 'packages';
  if (/^(runtime|browser)\./.test(item)) return 'runtimes';
  if (/^(config|file)\./.test(item)) return 'config';
  if (/^(cpu|memory|fs|disk|swap)\./.test(item)) return 'capacity';
  return 'other';
}

const isSecret = (v: string | null) =>
  v !== null && (v.includes('hmac-sha256:') || v === '[redacted]' || v.startsWith('redacted-sha256:'));

/** What a value cell shows: the value, "absent", or for a secret only whether it differs. */
function valueCell(v: string | null, other: string | null): Child {
  if (v === null) return h('span', { class: 'absent' }, t('absent'));
  if (isSecret(v) || isSecret(other))
    return h('span', { class: 'secret', title: t('secretHelp') }, v === other ? t('same') : t('differs'));
  return h('span', { class: 'mono' }, v);
}

let severityFilter = '';

export async function openApplication(tenant: string, application: string): Promise<void> {
  state.appOpen = { tenant, application };
  $('app-title').textContent = t('parityTitle', { application });
  fill($('app-body'), h('p', { class: 'muted' }, t('loading')));
  openDialog($('app-dialog') as HTMLDialogElement);
  await loadParity();
}

async function loadParity(): Promise<void> {
  const target = state.appOpen;
  if (!target) return;
  let report: ParityReport;
  try {
    report = await api<ParityReport>(
      `/api/applications/${encodeURIComponent(target.application)}/parity${q({ tenant: target.tenant })}`,
    );
  } catch (err) {
    if (state.appOpen !== target) return;
    const status = err instanceof ApiFailure ? err.status : 0;
    fill(
      $('app-body'),
      status === 404 || status === 501
        ? h('p', { class: 'empty' }, t('noParity'))
        : h('p', { class: 'error' }, t('parityFailed', { reason: (err as Error).message })),
    );
    return;
  }
  if (state.appOpen !== target) return;
  render(report, target.tenant);
}

async function decide(
  report: ParityReport,
  tenant: string,
  environment: string,
  d: Difference,
  decision: 'ignore' | 'accept' | 'undo',
): Promise<void> {
  const path = `/api/applications/${encodeURIComponent(report.application)}/parity/decisions${q({ tenant })}`;
  const status = $('parity-status');
  try {
    if (decision === 'undo') await api(path, { method: 'DELETE', body: { environment, item: d.item } });
    else await api(path, { method: 'PUT', body: { environment, item: d.item, decision } });
    await loadParity();
    $('parity-status').textContent = t('decisionDone', { item: d.item });
  } catch (err) {
    status.textContent = (err as Error).message;
  }
}

async function downloadMarkdown(report: ParityReport, tenant: string): Promise<void> {
  const r = await request(
    `/api/applications/${encodeURIComponent(report.application)}/parity${q({ tenant, format: 'markdown' })}`,
  );
  const url = URL.createObjectURL(new Blob([await r.text()], { type: 'text/markdown' }));
  const a = h('a', { href: url, download: `parity-${report.application}.md` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function render(report: ParityReport, tenant: string): void {
  const zone = zoneOf(tenant);
  const provider = isProvider();
  const comparisons = report.comparisons.map((c) => {
    const rows = c.differences.filter((d) => !severityFilter || d.severity === severityFilter);
    const reviewed = (c.reviewed ?? []).filter((d) => !severityFilter || d.severity === severityFilter);
    const all = [
      ...rows.map((d) => ({ d, reviewed: false })),
      ...reviewed.map((d) => ({ d, reviewed: true })),
    ];
    return h(
      'section',
      { class: 'parity-env', dataset: { environment: c.environment } },
      h(
        'h3',
        {},
        `${tv('env', c.environment)} · ${c.host} `,
        h(
          'span',
          { class: `tag ${c.atParity ? 'ok' : 'breached'}` },
          c.atParity ? t('atParity') : t('notAtParity'),
        ),
        h(
          'span',
          { class: 'muted small' },
          ` ${t('parityCounts', { critical: c.counts.critical, warning: c.counts.warning, info: c.counts.info })}`,
        ),
      ),
      all.length === 0
        ? h('p', { class: 'muted' }, t('identical'))
        : h(
            'table',
            { class: 'parity-diff' },
            h('caption', { class: 'visually-hidden' }, t('parityCaption', { environment: c.environment })),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                [
                  t('item'),
                  t('production'),
                  tv('env', c.environment),
                  t('severity'),
                  t('firstSeen'),
                  provider ? t('colActions') : null,
                ]
                  .filter(Boolean)
                  .map((x) => h('th', { scope: 'col' }, x)),
              ),
            ),
            KINDS.map((kind) => {
              const inKind = all.filter((x) => kindOf(x.d.item) === kind);
              if (inKind.length === 0) return null;
              return h(
                'tbody',
                { dataset: { kind } },
                h(
                  'tr',
                  { class: 'kind-row' },
                  h(
                    'th',
                    { scope: 'rowgroup', colspan: provider ? 6 : 5 },
                    `${tv('kind', kind)} (${inKind.length})`,
                  ),
                ),
                inKind.map(({ d, reviewed: isReviewed }) =>
                  h(
                    'tr',
                    {
                      class: `diff sev-${d.severity}${isReviewed ? ' reviewed' : ''}`,
                      dataset: { item: d.item },
                    },
                    h('td', { class: 'mono item', title: locale() === 'en' ? d.reason : undefined }, d.item),
                    h('td', { class: 'prod' }, valueCell(d.production, d.other)),
                    h('td', { class: 'other' }, valueCell(d.other, d.production)),
                    h(
                      'td',
                      {},
                      h('span', { class: `sev sev-${d.severity}` }, tv('psev', d.severity)),
                      h('span', { class: 'small muted reason' }, ` ${tv('rule', d.rule)}`),
                    ),
                    h('td', { class: 'small' }, dateTime(d.firstSeenAt, zone)),
                    provider
                      ? h(
                          'td',
                          { class: 'diff-actions' },
                          isReviewed
                            ? [
                                h(
                                  'span',
                                  { class: 'small muted decided' },
                                  t(d.decision === 'accept' ? 'acceptedBy' : 'ignoredBy', {
                                    who: d.decidedBy ?? '',
                                    when: dateTime(d.decidedAt, zone),
                                  }),
                                ),
                                h(
                                  'button',
                                  {
                                    type: 'button',
                                    class: 'link small',
                                    onclick: () => void decide(report, tenant, c.environment, d, 'undo'),
                                  },
                                  t('undo'),
                                ),
                              ]
                            : [
                                h(
                                  'button',
                                  {
                                    type: 'button',
                                    class: 'small',
                                    'aria-label': t('ignoreNamed', { item: d.item }),
                                    onclick: () => void decide(report, tenant, c.environment, d, 'ignore'),
                                  },
                                  t('ignore'),
                                ),
                                h(
                                  'button',
                                  {
                                    type: 'button',
                                    class: 'small',
                                    'aria-label': t('acceptNamed', { item: d.item }),
                                    onclick: () => void decide(report, tenant, c.environment, d, 'accept'),
                                  },
                                  t('accept'),
                                ),
                              ],
                        )
                      : null,
                  ),
                ),
              );
            }),
          ),
    );
  });
  fill(
    $('app-body'),
    h(
      'div',
      { class: 'parity-head' },
      h(
        'span',
        { class: 'muted small' },
        t('parityReference', { host: report.reference.host, when: dateTime(report.reference.takenAt, zone) }),
      ),
      h(
        'label',
        { class: 'inline' },
        t('severity'),
        h(
          'select',
          {
            id: 'parity-severity',
            onchange: (e: Event) => {
              severityFilter = (e.currentTarget as HTMLSelectElement).value;
              render(report, tenant);
            },
          },
          h('option', { value: '' }, t('all')),
          ['critical', 'warning', 'info'].map((s) =>
            h('option', { value: s, selected: severityFilter === s }, tv('psev', s)),
          ),
        ),
      ),
      h(
        'button',
        { type: 'button', id: 'parity-markdown', onclick: () => void downloadMarkdown(report, tenant) },
        t('markdownReport'),
      ),
    ),
    // The collector writes its notes in English (the Markdown report keeps them in every language).
    locale() === 'en' ? report.notes.map((n) => h('p', { class: 'muted small note' }, n)) : null,
    h('p', { id: 'parity-status', class: 'action-status', role: 'status' }),
    comparisons.length ? comparisons : h('p', { class: 'muted' }, t('nothingToCompare')),
  );
}
