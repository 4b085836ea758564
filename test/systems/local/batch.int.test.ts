import { startLocalSimulator, type RunningLocalSimulator } from '../../../src/simulators/local';
import { createLocalClient, type LocalClient } from '../../../src/systems/local';
import { generateDemandes } from '../../../src/synthetic';
import { canonicalRecordRules } from '../../support/gateway';

const TOKEN = 'batch-token-0123456789abcdef';

describe('the batch write of the local-tool API', () => {
  let sim: RunningLocalSimulator;
  let client: LocalClient;
  const [a, b, c] = generateDemandes({ count: 3, seed: 'batch' });

  beforeAll(async () => {
    sim = await startLocalSimulator({ token: TOKEN, dbPath: ':memory:', validateRecord: canonicalRecordRules });
    client = createLocalClient({ baseUrl: sim.url, token: TOKEN });
  });
  afterAll(async () => {
    client.close();
    await sim.close();
  });

  it('judges each item as its own PUT would, writes the valid ones, and answers one result per item in order', async () => {
    const first = await client.putDemandes([
      { numUnique: a!.numUnique!, record: a },
      { numUnique: b!.numUnique!, record: b },
    ]);
    expect(first).toEqual([
      { ok: true, outcome: 'created', version: 1 },
      { ok: true, outcome: 'created', version: 1 },
    ]);
    const changedA = { ...a!, numGuichet: 'G9999' };
    const second = await client.putDemandes([
      { numUnique: a!.numUnique!, record: changedA, ifMatch: 1 },
      { numUnique: b!.numUnique!, record: { ...b!, numGuichet: 'G8888' } }, // exists: create-only refused
      { numUnique: c!.numUnique!, record: { ...c!, dateCreationDemande: '2020-02-30' } }, // invalid
      { numUnique: b!.numUnique!, record: b, ifMatch: 7 }, // same content as stored: unchanged
    ]);
    expect(second[0]).toEqual({ ok: true, outcome: 'updated', version: 2 });
    expect(second[1]).toMatchObject({ ok: false, error: { code: 'LOCAL_CONFLICT', currentVersion: 1 } });
    expect(second[2]).toMatchObject({ ok: false, error: { code: 'LOCAL_REJECTED' } });
    expect(JSON.stringify(second[2])).not.toContain('2020-02-30');
    expect(second[3]).toEqual({ ok: true, outcome: 'unchanged', version: 1 });
    expect((await client.getDemande(a!.numUnique!))?.record).toEqual(JSON.parse(JSON.stringify(changedA)));
    expect(await client.getDemande(c!.numUnique!)).toBeNull();
  });

  it('says LOCAL_BATCH_UNSUPPORTED when the tool has no batch endpoint, so the caller writes one by one', async () => {
    const other = createLocalClient({ baseUrl: `${sim.url}/no-such-prefix`, token: TOKEN });
    await expect(other.putDemandes([{ numUnique: a!.numUnique!, record: a }])).rejects.toMatchObject({ code: 'LOCAL_BATCH_UNSUPPORTED', errorClass: 'permanent' });
    other.close();
  });
});
