/** The words of a finding for people (HTML, CSV, terminal): its own detail, or one made from its data. */
import { Check, type Finding } from './types';

export function detailOf(f: Finding): string {
  if (f.detail) return f.detail;
  const d = f.data ?? {};
  switch (f.kind) {
    case Check.renewalDue:
      return `expires ${d.dateExpiration} (in ${d.daysLeft} days)`;
    case Check.expiredNotRadiated:
      return `expired ${d.dateExpiration} (${d.daysExpired} days ago), not radiated`;
    case Check.delaiAnormalementLong:
      return `filed ${d.dateCreationDemande}, waiting ${d.monthsWaiting} months (limit ${d.delaiMonths})`;
    case Check.retentionExceeded:
      return `radiated ${d.dateRadiation} (${d.motif}); to erase since ${d.eraseBy}`;
    default:
      return '';
  }
}
