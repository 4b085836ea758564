/**
 * The signed event endpoint as the web server mounts it: a missing or wrong signature, a timestamp
 * outside the window and a replay are refused with 401 before anything reaches the intake; oversized,
 * non-JSON, deeply nested and wrongly typed bodies get a clear 4xx that quotes neither input nor secret.
 */
import { eventEndpointChecks } from '../../bench/chaos/security';
import type { Check } from '../../bench/chaos/support';

describe('the signed event endpoint', () => {
  it('refuses bad signatures, stale and future timestamps and replays, and answers hostile bodies with a 4xx', async () => {
    const checks: Check[] = [];
    expect(await eventEndpointChecks(checks)).toBeGreaterThan(10);
    expect(checks.map((c) => ({ name: c.name, ok: c.ok, detail: c.detail }))).toEqual([expect.objectContaining({ ok: true })]);
  });
});
