// Labels of the client report in French and English, and how its numbers and dates are written in each (dates
// in the tenant's time zone). The HTML and the PDF use these; tests format the API's figures the same way.
import type { Language } from '../contracts/model.js';

const FR = {
  title: 'Rapport de maintenance',
  period: 'Période',
  generated: 'Généré le',
  timeZone: 'Fuseau horaire',
  contract: 'Contrat',
  noContract: 'Aucun contrat enregistré',
  contractTypes: {
    forfait: 'Forfait',
    regie: 'Régie forfaitaire',
    'ticket-book': 'Carnet de tickets',
  } as Record<string, string>,
  summary: 'Synthèse',
  slaCompliance: 'Respect des SLA',
  sla: 'Niveaux de service par priorité',
  priority: 'Priorité',
  tickets: 'Tickets',
  response: 'Prise en charge',
  resolution: 'Résolution',
  met: 'Dans les délais',
  breached: 'Hors délai',
  pending: 'En cours',
  breaches: 'Dépassements',
  noBreach: 'Aucun dépassement sur la période.',
  target: 'Cible',
  due: 'Échéance',
  metAt: 'Atteinte le',
  notMet: 'non atteinte',
  targets: { response: 'prise en charge', resolution: 'résolution' } as Record<string, string>,
  ticketsByCategory: 'Tickets par catégorie',
  category: 'Catégorie',
  opened: 'Ouverts',
  resolved: 'Résolus',
  categories: {
    security: 'Sécurité',
    backup: 'Sauvegarde',
    performance: 'Performance',
    drift: 'Dérive',
    availability: 'Disponibilité',
    request: 'Demande',
    other: 'Autre',
  } as Record<string, string>,
  outOfScope: 'Hors périmètre',
  beyondContract: 'Au-delà du contrat',
  mtta: 'Délai moyen de prise en charge (MTTA)',
  mttr: 'Délai moyen de résolution (MTTR)',
  availability: 'Disponibilité par serveur',
  host: 'Serveur',
  application: 'Application',
  environment: 'Environnement',
  unreachable: 'Agent injoignable',
  down: 'Service arrêté',
  overall: 'Ensemble',
  backups: 'Sauvegardes vérifiées',
  check: 'Contrôle',
  results: 'Résultats',
  ok: 'Réussis',
  failed: 'En échec',
  status: 'État',
  restoreTests: 'Tests de restauration (réussis, exécutés)',
  security: 'Posture de sécurité',
  securityUpdates: 'Mises à jour de sécurité en attente',
  max: 'Maximum',
  last: 'Dernière valeur',
  certificates: 'Certificats',
  minDaysLeft: 'Jours restants (minimum)',
  lastDaysLeft: 'Jours restants (dernier)',
  expiring: 'expire bientôt',
  none: 'Aucun',
  parity: 'Parité iso-production',
  atParity: 'À parité',
  drift: 'Écarts',
  usage: 'Consommation du contrat',
  opening: 'Solde initial',
  credited: 'Unités créditées',
  consumed: 'Unités consommées',
  corrections: 'Corrections',
  closing: 'Solde final',
  deductions: 'Tickets décomptés',
  logged: 'Temps passé',
  contracted: 'Jours contractuels',
  used: 'Consommé',
  person: 'Intervenant',
  days: 'Jours',
  hours: 'Heures',
  counted: 'Tickets couverts par le contrat',
  maintenance: 'Fenêtres de maintenance',
  noMaintenance: 'Aucune fenêtre de maintenance sur la période.',
  scope: 'Périmètre',
  reason: 'Motif',
  runs: 'Passages',
  covered: 'Durée couverte',
  wholeTenant: 'tout le périmètre du client',
  risksAhead: 'Risques à venir',
  noRisk: 'Aucun risque identifié.',
  notes: 'Remarques',
  yes: 'oui',
  no: 'non',
};

export type Labels = typeof FR;

const EN: Labels = {
  title: 'Maintenance report',
  period: 'Period',
  generated: 'Generated on',
  timeZone: 'Time zone',
  contract: 'Contract',
  noContract: 'No contract recorded',
  contractTypes: {
    forfait: 'Fixed price',
    regie: 'Managed fixed price (régie)',
    'ticket-book': 'Ticket book',
  },
  summary: 'Summary',
  slaCompliance: 'SLA compliance',
  sla: 'Service levels by priority',
  priority: 'Priority',
  tickets: 'Tickets',
  response: 'Response',
  resolution: 'Resolution',
  met: 'Within target',
  breached: 'Breached',
  pending: 'Pending',
  breaches: 'Breaches',
  noBreach: 'No breach in the period.',
  target: 'Target',
  due: 'Due',
  metAt: 'Met at',
  notMet: 'not met',
  targets: { response: 'response', resolution: 'resolution' },
  ticketsByCategory: 'Tickets by category',
  category: 'Category',
  opened: 'Opened',
  resolved: 'Resolved',
  categories: {
    security: 'Security',
    backup: 'Backup',
    performance: 'Performance',
    drift: 'Drift',
    availability: 'Availability',
    request: 'Request',
    other: 'Other',
  },
  outOfScope: 'Out of scope',
  beyondContract: 'Beyond contract',
  mtta: 'Mean time to acknowledge (MTTA)',
  mttr: 'Mean time to resolve (MTTR)',
  availability: 'Availability per host',
  host: 'Host',
  application: 'Application',
  environment: 'Environment',
  unreachable: 'Agent unreachable',
  down: 'Service down',
  overall: 'Overall',
  backups: 'Backups verified',
  check: 'Check',
  results: 'Results',
  ok: 'Passed',
  failed: 'Failed',
  status: 'Status',
  restoreTests: 'Restore tests (passed, run)',
  security: 'Security posture',
  securityUpdates: 'Pending security updates',
  max: 'Maximum',
  last: 'Last value',
  certificates: 'Certificates',
  minDaysLeft: 'Days left (minimum)',
  lastDaysLeft: 'Days left (last)',
  expiring: 'expiring soon',
  none: 'None',
  parity: 'Iso-production parity',
  atParity: 'At parity',
  drift: 'Differences',
  usage: 'Contract usage',
  opening: 'Opening balance',
  credited: 'Units credited',
  consumed: 'Units consumed',
  corrections: 'Corrections',
  closing: 'Closing balance',
  deductions: 'Tickets deducted',
  logged: 'Time logged',
  contracted: 'Contracted days',
  used: 'Used',
  person: 'Person',
  days: 'Days',
  hours: 'Hours',
  counted: 'Tickets covered by the contract',
  maintenance: 'Maintenance windows',
  noMaintenance: 'No maintenance window in the period.',
  scope: 'Scope',
  reason: 'Reason',
  runs: 'Runs',
  covered: 'Time covered',
  wholeTenant: 'the whole tenant',
  risksAhead: 'Risks ahead',
  noRisk: 'No risk identified.',
  notes: 'Notes',
  yes: 'yes',
  no: 'no',
};

export function labels(language: Language): Labels {
  return language === 'fr' ? FR : EN;
}

/** How a report writes numbers, percentages, durations and dates in a language and time zone. */
export class ReportFormat {
  private readonly numbers: Intl.NumberFormat;
  private readonly dates: Intl.DateTimeFormat;
  private readonly days: Intl.DateTimeFormat;

  constructor(
    readonly language: Language,
    readonly timeZone: string,
  ) {
    // Plain grouping-free numbers: the same digits in the PDF as in the API, only the decimal mark changes.
    this.numbers = new Intl.NumberFormat(language === 'fr' ? 'fr-FR' : 'en-GB', {
      maximumFractionDigits: 2,
      minimumFractionDigits: 0,
      useGrouping: false,
    });
    this.dates = new Intl.DateTimeFormat(language === 'fr' ? 'fr-FR' : 'en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    this.days = new Intl.DateTimeFormat(language === 'fr' ? 'fr-FR' : 'en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  number(n: number | null): string {
    return n === null ? '—' : this.numbers.format(n);
  }

  percent(n: number | null): string {
    return n === null ? '—' : `${this.number(n)} %`;
  }

  /** Seconds as hours and minutes, e.g. `2 h 05 min`. */
  duration(seconds: number | null): string {
    if (seconds === null) return '—';
    const minutes = Math.round(seconds / 60);
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min`;
  }

  date(iso: string): string {
    return this.dates.format(new Date(iso));
  }

  day(iso: string): string {
    return this.days.format(new Date(iso));
  }
}
