// The client report as one self-contained HTML page (styles and charts inline): served as is, and printed to
// PDF by Chromium. Every figure comes from ReportData, written through ReportFormat.
import { barChart } from './charts.js';
import type { ReportData } from './compute.js';
import { labels, ReportFormat } from './i18n.js';

const esc = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

function table(headers: string[], rows: string[][], cls = ''): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table class="${cls}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const STYLE = `
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11px; color: #222; margin: 24px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 14px; margin: 18px 0 6px; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 4px 0 8px; } th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; }
th { background: #f0f3f7; } .meta td { border: none; padding: 1px 8px 1px 0; } .kpi td:last-child { font-weight: bold; }
section { page-break-inside: avoid; } .note { color: #666; }
`;

export function renderReportHtml(r: ReportData): string {
  const L = labels(r.language);
  const f = new ReportFormat(r.language, r.period.timeZone);
  const lastDay = new Date(Date.parse(r.period.to) - 1).toISOString();
  const cat = (c: string) => L.categories[c] ?? c;
  const parts: string[] = [];
  parts.push(`<h1>${esc(L.title)} — ${esc(r.tenant.name)}</h1>`);
  parts.push(
    table(
      [],
      [
        [L.period, `${f.day(r.period.from)} – ${f.day(lastDay)} (${r.period.label})`],
        [L.timeZone, r.period.timeZone],
        [L.generated, f.date(r.generatedAt)],
        [
          L.contract,
          r.contract
            ? `${r.contract.name} (${L.contractTypes[r.contract.type] ?? r.contract.type})`
            : L.noContract,
        ],
      ],
      'meta',
    ),
  );
  parts.push(`<section><h2>${esc(L.summary)}</h2>`);
  parts.push(
    table(
      [],
      [
        [L.slaCompliance, f.percent(r.sla.compliancePercent)],
        [`${L.tickets} ${L.opened.toLowerCase()}`, f.number(r.tickets.opened)],
        [`${L.tickets} ${L.resolved.toLowerCase()}`, f.number(r.tickets.resolved)],
        [L.mtta, f.duration(r.mttaSeconds)],
        [L.mttr, f.duration(r.mttrSeconds)],
        [`${L.availability} (${L.overall.toLowerCase()})`, f.percent(r.availability.percent)],
        [L.outOfScope, f.number(r.tickets.outOfScope)],
        [L.beyondContract, f.number(r.tickets.beyondContract)],
      ],
      'kpi',
    ),
  );
  parts.push('</section>');

  parts.push(`<section><h2>${esc(L.sla)}</h2>`);
  parts.push(
    table(
      [
        L.priority,
        L.tickets,
        `${L.response} ${L.met}`,
        `${L.response} ${L.breached}`,
        `${L.response} %`,
        `${L.resolution} ${L.met}`,
        `${L.resolution} ${L.breached}`,
        `${L.resolution} %`,
      ],
      r.sla.byPriority.map((p) => [
        p.priority,
        f.number(p.tickets),
        f.number(p.response.met),
        f.number(p.response.breached),
        f.percent(p.response.percent),
        f.number(p.resolution.met),
        f.number(p.resolution.breached),
        f.percent(p.resolution.percent),
      ]),
    ),
  );
  parts.push(
    barChart(
      r.sla.byPriority.map((p) => ({
        label: p.priority,
        values: [p.response.percent, p.resolution.percent],
      })),
      { max: 100, series: [L.response, L.resolution], title: L.sla },
    ),
  );
  parts.push(`<h2>${esc(L.breaches)}</h2>`);
  parts.push(
    r.sla.breaches.length === 0
      ? `<p>${esc(L.noBreach)}</p>`
      : table(
          [L.priority, L.target, L.host, L.tickets, L.due, L.metAt],
          r.sla.breaches.map((b) => [
            b.priority,
            L.targets[b.target] ?? b.target,
            b.host,
            b.title,
            f.date(b.dueAt),
            b.metAt ? f.date(b.metAt) : L.notMet,
          ]),
        ),
  );
  parts.push('</section>');

  parts.push(`<section><h2>${esc(L.ticketsByCategory)}</h2>`);
  parts.push(
    table(
      [L.category, L.opened, L.resolved],
      r.tickets.byCategory.map((c) => [cat(c.category), f.number(c.opened), f.number(c.resolved)]),
    ),
  );
  parts.push(
    barChart(
      r.tickets.byCategory.map((c) => ({ label: cat(c.category), values: [c.opened, c.resolved] })),
      { series: [L.opened, L.resolved], title: L.ticketsByCategory },
    ),
  );
  parts.push('</section>');

  parts.push(`<section><h2>${esc(L.availability)}</h2>`);
  parts.push(
    table(
      [L.host, L.application, L.environment, L.unreachable, L.down, '%'],
      r.availability.hosts.map((h) => [
        h.host,
        h.application,
        h.environment,
        f.duration(h.unreachableSeconds),
        f.duration(h.downSeconds),
        f.percent(h.percent),
      ]),
    ),
  );
  parts.push(
    barChart(
      r.availability.hosts.map((h) => ({ label: h.host, values: [h.percent] })),
      { max: 100, series: [L.availability], title: L.availability },
    ),
  );
  parts.push('</section>');

  parts.push(`<section><h2>${esc(L.backups)}</h2>`);
  parts.push(
    table(
      [L.host, L.check, L.results, L.ok, L.failed, L.status],
      r.backups.checks.map((c) => [
        c.host,
        c.check,
        f.number(c.results),
        f.number(c.ok),
        f.number(c.failed),
        c.status,
      ]),
    ),
  );
  parts.push(
    table(
      [],
      [[L.restoreTests, f.number(r.backups.restoreTests.passed), f.number(r.backups.restoreTests.runs)]],
      'kpi',
    ),
  );
  parts.push('</section>');

  parts.push(`<section><h2>${esc(L.security)}</h2><h3>${esc(L.securityUpdates)}</h3>`);
  parts.push(
    r.security.updates.length === 0
      ? `<p>${esc(L.none)}</p>`
      : table(
          [L.host, L.check, L.max, L.last],
          r.security.updates.map((u) => [u.host, u.check, f.number(u.maxPending), f.number(u.lastPending)]),
        ),
  );
  parts.push(`<h3>${esc(L.certificates)}</h3>`);
  parts.push(
    r.security.certificates.length === 0
      ? `<p>${esc(L.none)}</p>`
      : table(
          [L.host, L.check, L.minDaysLeft, L.lastDaysLeft, ''],
          r.security.certificates.map((c) => [
            c.host,
            c.check,
            f.number(c.minDaysLeft),
            f.number(c.lastDaysLeft),
            c.expiring ? L.expiring : '',
          ]),
        ),
  );
  parts.push('</section>');

  parts.push(`<section><h2>${esc(L.parity)}</h2>`);
  parts.push(
    r.parity.length === 0
      ? `<p>${esc(L.none)}</p>`
      : table(
          [L.application, L.environment, L.host, L.atParity, 'critical', 'warning', 'info'],
          r.parity.map((p) => [
            p.application,
            p.environment,
            p.host,
            p.atParity ? L.yes : L.no,
            f.number(p.critical),
            f.number(p.warning),
            f.number(p.info),
          ]),
        ),
  );
  parts.push('</section>');

  if (r.usage) {
    parts.push(`<section><h2>${esc(L.usage)}</h2>`);
    parts.push(table([], [[L.counted, f.number(r.usage.counted)]], 'kpi'));
    const b = r.usage.ticketBook;
    if (b) {
      parts.push(
        table(
          [],
          [
            [L.opening, f.number(b.opening)],
            [L.credited, f.number(b.credited)],
            [L.consumed, f.number(b.consumed)],
            [L.corrections, f.number(b.corrections)],
            [L.closing, f.number(b.closing)],
            [L.deductions, f.number(b.deductions)],
          ],
          'kpi',
        ),
      );
    }
    const g = r.usage.regie;
    if (g) {
      parts.push(
        table(
          [],
          [
            [`${L.logged} (${L.days.toLowerCase()})`, f.number(g.days)],
            [L.contracted, f.number(g.contractedDays)],
            [L.used, f.percent(g.usedPercent)],
          ],
          'kpi',
        ),
      );
      parts.push(
        table(
          [L.person, L.hours, L.days],
          g.byPerson.map((p) => [p.person, f.number(p.hours), f.number(p.days)]),
        ),
      );
      parts.push(
        table(
          [L.application, L.hours, L.days],
          g.byApplication.map((a) => [a.application, f.number(a.hours), f.number(a.days)]),
        ),
      );
    }
    parts.push('</section>');
  }

  parts.push(`<section><h2>${esc(L.maintenance)}</h2>`);
  parts.push(
    r.maintenance.length === 0
      ? `<p>${esc(L.noMaintenance)}</p>`
      : table(
          [L.scope, L.reason, L.runs, L.covered],
          r.maintenance.map((m) => {
            const first = m.runs[0] as { from: string; to: string };
            const last = m.runs[m.runs.length - 1] as { from: string; to: string };
            const when =
              m.runs.length === 1
                ? `${f.date(first.from)} – ${f.date(first.to)}`
                : `${m.runs.length} × (${f.date(first.from)} … ${f.date(last.to)})`;
            const scope = [m.application, m.host, m.check].filter((x) => x !== null).join(' / ');
            return [scope || L.wholeTenant, m.reason, when, f.duration(m.coveredSeconds)];
          }),
        ),
  );
  parts.push('</section>');
  parts.push(`<section><h2>${esc(L.risksAhead)}</h2>`);
  parts.push(
    r.risksAhead.length === 0
      ? `<p>${esc(L.noRisk)}</p>`
      : `<ul>${r.risksAhead.map((x) => `<li><strong>${esc(x.title)}</strong> (${esc(x.severity)}): ${esc(x.detail)}</li>`).join('')}</ul>`,
  );
  parts.push('</section>');
  if (r.notes.length > 0)
    parts.push(
      `<section><h2>${esc(L.notes)}</h2><ul class="note">${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`,
    );
  return `<!doctype html><html lang="${r.language}"><head><meta charset="utf-8"><title>${esc(L.title)} — ${esc(r.tenant.name)} — ${esc(r.period.label)}</title><style>${STYLE}</style></head><body>${parts.join('\n')}</body></html>`;
}
