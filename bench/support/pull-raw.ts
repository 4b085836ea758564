/**
 * Child process: the raw baseline of the pull benchmark, "a careful one-thread script" with none of the
 * product's layers: stream the dispatch files, cut each demand out (indexOf), parse it with
 * fast-xml-parser (tuned options), validate the tree with a zod schema, hash it, compare with a Redis
 * ledger (one HMGET and one HSET per page) and bulk-add one small job per changed record to BullMQ.
 * Prints one JSON line: records, seconds, peak RSS.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { XMLParser } from 'fast-xml-parser';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { peakRssMb } from './child';

const code = z.object({ '@_code': z.string() });
const text = z.string();
const list = (item: z.ZodType) => z.union([item, z.array(item)]).optional();
const personne = z.looseObject({ civilite: code, nom: text, prenom: text, dateNaissance: text, nationalite: code });
const Tree = z.looseObject({
  demandeLogement: z.looseObject({
    numGuichet: text,
    numUnique: text,
    dateCreationDemande: text,
    personnePhysique: z.looseObject({
      demandeur: personne,
      listePersonneACharge: z.looseObject({ personneACharge: list(z.looseObject({ nom: text, prenom: text, dateNaissance: text })) }).optional(),
      listeCotitulaire: z.looseObject({ cotitulaire: list(personne) }).optional(),
    }),
    logementRecherche: z.looseObject({
      demandeElargie: z.enum(['true', 'false']),
      listeTypeLogement: z.looseObject({ typeLogement: list(code) }),
      listeLocalisationSouhaite: z.looseObject({ localisationSouhaite: list(z.looseObject({ commune: code })) }),
    }),
  }),
});

async function main(): Promise<void> {
  const [dir, redisUrl, prefix] = process.argv.slice(2) as [string, string, string];
  const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, parseAttributeValue: false, processEntities: true, jPath: false } as never);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('raw-deliver', { connection: redis, prefix: `${prefix}:bull` });
  const ledger = `${prefix}:raw-ledger`;
  let records = 0;
  let page: Array<{ nu: string; hash: string }> = [];
  const flush = async () => {
    if (!page.length) return;
    const seen = await redis.hmget(ledger, ...page.map((p) => p.nu));
    const changed = page.filter((p, i) => seen[i] !== p.hash);
    if (changed.length) {
      await queue.addBulk(changed.map((p) => ({ name: 'deliver', data: { numUnique: p.nu, hash: p.hash }, opts: { jobId: `${p.nu}.${p.hash.slice(0, 16)}`, removeOnComplete: true } })));
      await redis.hset(ledger, ...changed.flatMap((p) => [p.nu, p.hash]));
    }
    page = [];
  };
  const started = process.hrtime.bigint();
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.xml')).sort()) {
    let buf = '';
    for await (const chunk of createReadStream(join(dir, name), { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      buf += chunk as string;
      let from = 0;
      for (;;) {
        const open = buf.indexOf('<demandeLogement>', from);
        if (open < 0) break;
        const close = buf.indexOf('</demandeLogement>', open);
        if (close < 0) break;
        const end = close + '</demandeLogement>'.length;
        const tree = parser.parse(buf.slice(open, end)) as unknown;
        from = end;
        const ok = Tree.safeParse(tree);
        if (!ok.success) continue;
        const nu = ok.data.demandeLogement.numUnique;
        page.push({ nu, hash: createHash('sha256').update(JSON.stringify(tree)).digest('hex') });
        records++;
        if (page.length >= 500) await flush();
      }
      buf = buf.slice(from);
    }
  }
  await flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await queue.obliterate({ force: true });
  await redis.del(ledger);
  await queue.close();
  redis.disconnect();
  process.stdout.write(`${JSON.stringify({ records, seconds, peakRssMb: peakRssMb() })}\n`);
}

void main();
