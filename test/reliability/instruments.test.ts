/**
 * The suite's own instruments must see what they claim to see: the leak scanner, the Retry-After check,
 * the alert-repeat count and the seeded kill plans.
 */
import { planKills } from '../../bench/chaos/crash';
import { repeatedAlerts } from '../../bench/chaos/faults';
import { retryAfterViolations, type Exchange } from '../../bench/chaos/proxy';
import { NeedleScanner, searchablePersonalValues } from '../../bench/chaos/support';
import { generateDemandes } from '../../src/synthetic';

describe('the leak scanner', () => {
  const [d] = generateDemandes({ seed: 'scanner', count: 1 });

  it('finds a name, an email and a birth date written beside their demand, whatever the case', () => {
    const scanner = new NeedleScanner(searchablePersonalValues([d!]));
    const line = JSON.stringify({ numUnique: d!.numUnique, who: d!.demandeur.nom.toUpperCase(), mel: d!.demandeur.mel, born: d!.demandeur.dateNaissance });
    expect(scanner.find(line)).toEqual(expect.arrayContaining([d!.demandeur.nom.toLowerCase(), d!.demandeur.dateNaissance]));
  });

  it('ignores a value inside a longer word (base64 ciphertext) and a bare date far from its demand', () => {
    const scanner = new NeedleScanner([{ value: 'Elif' }, { value: '1984-02-03', anchors: ['0351234'] }]);
    expect(scanner.find('v1.k1.abcElifXyz')).toEqual([]);
    expect(scanner.find('{"dateExpiration":"1984-02-03"}')).toEqual([]);
    expect(scanner.find('{"numUnique":"0351234","dateNaissance":"1984-02-03"}')).toEqual(['1984-02-03']);
    expect(scanner.find('"nom":"Elif"')).toEqual(['elif']);
  });
});

describe('the Retry-After check', () => {
  const x = (startedAt: number, endedAt: number, status: number, key?: string, retryAfterSeconds?: number): Exchange => ({
    method: 'PUT',
    path: '/demandes/1',
    startedAt,
    endedAt,
    status,
    ...(key ? { keys: [key] } : {}),
    ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
  });

  it('flags a request sent inside the asked delay, not one sent after it or already on its way', () => {
    const log = [x(0, 10, 429, 'a', 2), x(50, 60, 200, 'a'), x(500, 510, 429, 'a'), x(2_100, 2_110, 201, 'a')];
    const r = retryAfterViolations(log, 'path');
    expect(r.asked).toBe(1);
    expect(r.violations.map((v) => v.startedAt)).toEqual([500]);
  });

  it('scopes by key: another demand may go on', () => {
    const log = [x(0, 10, 429, 'a', 2), x(500, 510, 201, 'b')];
    expect(retryAfterViolations(log, 'key').violations).toEqual([]);
    expect(retryAfterViolations(log, 'target').violations).toHaveLength(1);
  });
});

describe('the alert-repeat count', () => {
  it('counts a notification repeating the state it already announced', () => {
    expect(repeatedAlerts([{ alert: 'circuit:sne', state: 'alert' }, { alert: 'circuit:sne', state: 'ok' }, { alert: 'circuit:sne', state: 'alert' }])).toBe(0);
    expect(repeatedAlerts([{ alert: 'dead-letters', state: 'alert' }, { alert: 'dead-letters', state: 'alert' }])).toBe(1);
  });
});

describe('the kill plans', () => {
  it('are the same for the same seed and trial, and differ between trials', () => {
    expect(planKills('s', 3, 300, 40, 3)).toEqual(planKills('s', 3, 300, 40, 3));
    const all = Array.from({ length: 20 }, (_, t) => JSON.stringify(planKills('s', t, 300, 40, 3)));
    expect(new Set(all).size).toBeGreaterThan(15);
  });

  it('draws write thresholds inside the work, increasing within a trial', () => {
    for (let t = 0; t < 50; t++) {
      const plan = planKills('s', t, 300, 40, 3);
      const w = plan.filter((k) => k.mode === 'writes').map((k) => k.at);
      const s = plan.filter((k) => k.mode === 'sneWrites').map((k) => k.at);
      expect(w).toEqual([...w].sort((a, b) => a - b));
      expect(s).toEqual([...s].sort((a, b) => a - b));
      for (const k of plan) expect(k.at).toBeGreaterThanOrEqual(0);
      for (const a of w) expect(a).toBeLessThan(300);
      for (const a of s) expect(a).toBeLessThan(40);
    }
  });
});
