/**
 * The personal values of a demand, for tests that prove none of them leaks into logs, metrics, error
 * messages, dead letters or Redis keys.
 */
import type { Demande } from '../domain';

/**
 * Every personal value of a demand as a string, distinct, in a stable order: names, birth names and
 * first names of everyone (dependants included), birth dates (and the expected birth date), phone
 * (as written and digits only), email, address (street, and number + street as an address line prints it),
 * employers, non-zero amounts (resources, tax income, rent) and the free texts of motif 23.
 *
 * Codes, INSEE commune codes and postcodes alone are left out: they also name territories and appear
 * legitimately in logs. Amounts are short numbers: match them as whole tokens (e.g. `"montant":650` or
 * `\b650\b` next to a field name), not as substrings.
 */
export function personalValuesOf(demande: Demande): string[] {
  const out: string[] = [];
  const push = (v: string | number | undefined) => {
    if (v === undefined) return;
    const s = String(v).trim();
    if (s !== '') out.push(s);
  };
  // A zero amount says nothing about a person, and "0" would match everything.
  const amount = (v: number | undefined) => {
    if (v !== undefined && v > 0) out.push(String(v));
  };
  const persons = [demande.demandeur, ...demande.cotitulaires];
  for (const p of persons) {
    push(p.nom);
    push(p.nomPatronymique);
    push(p.prenom);
    push(p.dateNaissance);
    push(p.situationProfessionnelle?.nomEmployeurPrincipal);
    amount(p.revenuFiscal?.montantMoins1);
    amount(p.revenuFiscal?.montantMoins2);
    for (const r of p.ressourcesRecues) amount(r.montant);
    for (const r of p.ressourcesVersees) amount(r.montant);
  }
  const d = demande.demandeur;
  push(d.telPortable);
  if (d.telPortable) push(d.telPortable.replace(/\D/g, ''));
  push(d.mel);
  const a = d.adressePostale;
  if (a) {
    push(a.voie);
    if (a.numero && a.voie) push(`${a.numero} ${a.voie}`);
  }
  for (const c of demande.personnesACharge) {
    push(c.nom);
    push(c.prenom);
    push(c.dateNaissance);
  }
  push(demande.personneANaitre?.dateNaissancePrevue);
  for (const c of demande.personnesEnGarde) push(c.dateNaissance);
  for (const r of demande.ressourcesPersonnesACharge?.recues ?? []) amount(r.montant);
  for (const r of demande.ressourcesPersonnesACharge?.versees ?? []) amount(r.montant);
  amount(demande.logementActuel?.montantMensuelLoyer);
  for (const m of demande.motifs) push(m.precision);
  return [...new Set(out)];
}
