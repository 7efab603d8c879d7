import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrateSchema } from '../prisma-free-db/sqlite-schema';
import { intArg } from './options';

/**
 * What storing one op costs SQLite, with and without the `ops_by_source` index that schema v2
 * dropped: WAL bytes written per op and CPU per op (user + system) for the op insert and its
 * transaction, then the CPU of checkpointing that WAL. Same pragmas as the server
 * (WAL, synchronous=NORMAL, automatic checkpoints off as in sqlite-connection.ts).
 *
 *   npm run build:server && node dist/bench/sqlite-op-insert.js                      # 10 docs, one op per commit
 *   node dist/bench/sqlite-op-insert.js --docs 20 --per-commit 4 --rounds 5          # a busier group commit
 *
 * Ops are keystroke-sized JSON like the editor's (src, seq, v, m.ts, m.author, a text op).
 * Each variant starts from a file that already holds 2,000 ops, checkpointed.
 */
const DOCS = intArg('docs', 10, 10_000);
const PER_COMMIT = intArg('per-commit', 1, 1_000);
const OPS = intArg('ops', 6_000, 1_000_000);
const ROUNDS = intArg('rounds', 3, 100);
const WARM_OPS = 2_000;

const VARIANTS = {
  'v2 (primary key only)': () => {},
  'v1 (+ ops_by_source)': (db: Database.Database) => db.exec('CREATE INDEX ops_by_source ON ops (collection, doc_id, src, seq)'),
} as const;

interface Result {
  walBytesPerOp: number;
  cpuUsPerOp: number;
  systemUsPerOp: number;
  checkpointCpuUsPerOp: number;
}

function runOnce(dir: string, addIndexes: (db: Database.Database) => void): Result {
  const filename = path.join(dir, `ops-${process.hrtime.bigint()}.sqlite`);
  const db = new Database(filename);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 0');
    migrateSchema(db, filename);
    addIndexes(db);
    const insert = db.prepare('INSERT INTO ops (collection, doc_id, version, src, seq, op) VALUES (?, ?, ?, ?, ?, ?)');
    const begin = db.prepare('BEGIN IMMEDIATE');
    const commit = db.prepare('COMMIT');
    const versions = new Array<number>(DOCS).fill(0);
    const sources = Array.from({ length: 10 }, (_, i) => `${i.toString(16)}${'f3a9c1'.repeat(5)}`.slice(0, 32));
    let seq = 0;
    const insertOne = () => {
      const doc = seq % DOCS;
      const v = versions[doc]!++;
      const src = sources[seq % sources.length]!;
      const op = { src, seq, v, m: { ts: 1_764_000_000_000 + seq, author: 'u_5f2c9a7e1b' }, op: [(v * 7) % 400, 'x'] };
      insert.run('files', `ws_8d1f2a/${doc.toString().padStart(4, '0')}/src/main.py`, v, src, seq, JSON.stringify(op));
      seq++;
    };
    const commitOps = (n: number) => {
      for (let done = 0; done < n; done += PER_COMMIT) {
        begin.run();
        for (let k = 0; k < PER_COMMIT && done + k < n; k++) insertOne();
        commit.run();
      }
    };
    commitOps(WARM_OPS);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const cpu0 = process.cpuUsage();
    commitOps(OPS);
    const cpu = process.cpuUsage(cpu0);
    const walBytes = fs.statSync(`${filename}-wal`).size;
    const checkpoint0 = process.cpuUsage();
    db.pragma('wal_checkpoint(TRUNCATE)');
    const checkpoint = process.cpuUsage(checkpoint0);
    return {
      walBytesPerOp: walBytes / OPS,
      cpuUsPerOp: (cpu.user + cpu.system) / OPS,
      systemUsPerOp: cpu.system / OPS,
      checkpointCpuUsPerOp: (checkpoint.user + checkpoint.system) / OPS,
    };
  } finally {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${filename}${suffix}`, { force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-op-insert-'));
try {
  console.log(
    `sqlite-op-insert: ${OPS} ops over ${DOCS} docs, ${PER_COMMIT} per commit, ${ROUNDS} alternating rounds; ` +
      `${os.cpus().length} cores, node ${process.version}, files in ${dir}`,
  );
  const results = new Map<string, Result[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, addIndexes] of Object.entries(VARIANTS)) {
      const result = runOnce(dir, addIndexes);
      results.set(name, [...(results.get(name) ?? []), result]);
    }
  }
  console.log('variant                   WAL bytes/op  CPU µs/op (system)  checkpoint CPU µs/op   [median of rounds; all rounds: CPU µs/op]');
  for (const [name, rs] of results) {
    const med = (pick: (r: Result) => number) => median(rs.map(pick));
    console.log(
      `${name.padEnd(26)}${med((r) => r.walBytesPerOp).toFixed(0).padStart(12)}` +
        `${med((r) => r.cpuUsPerOp).toFixed(1).padStart(11)} (${med((r) => r.systemUsPerOp).toFixed(1)})` +
        `${med((r) => r.checkpointCpuUsPerOp).toFixed(1).padStart(22)}   [${rs.map((r) => r.cpuUsPerOp.toFixed(1)).join(', ')}]`,
    );
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
