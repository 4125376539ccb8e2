/**
 * Compares two V8 heap snapshots of the same process (for instance the ones the soak writes with
 * SOAK_HEAP_SNAPSHOTS), to tell what grew between them and what holds it:
 *
 *   npx tsx bench/heap-diff.ts A.heapsnapshot B.heapsnapshot [--top 25]
 *   npx tsx bench/heap-diff.ts B.heapsnapshot --retainers 1016245   # who holds object @1016245
 *
 * 1. Objects by kind (type and constructor name): count and bytes in A and B, largest growth first.
 * 2. Objects in B that were not in A (V8 keeps an object's id across snapshots of one process),
 *    grouped by their "anchor": the nearest object on their retainer chain that already existed in
 *    A, with the edge through which the new objects hang off it. A container that keeps growing
 *    (a map without eviction, a list never trimmed) shows up as one anchor holding many new bytes.
 *
 * Heap snapshots are large JSON files: give Node room (NODE_OPTIONS=--max-old-space-size=4096).
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] }; node_count: number };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface Heap {
  count: number;
  kind: (i: number) => string;
  id: Int32Array | Float64Array;
  size: Float64Array;
  /** First strong retainer (node index) of each node, and the edge name through which it holds it; -1 when none. */
  retainer: Int32Array;
  retainerEdge: string[];
  label: (i: number) => string;
}

export function loadHeap(file: string): Heap {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const { node_fields: nf, node_types: nt, edge_fields: ef, edge_types: et } = raw.snapshot.meta;
  const N = nf.length;
  const E = ef.length;
  const [fType, fName, fId, fSize, fEdges] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((f) => nf.indexOf(f)) as [number, number, number, number, number];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [number, number, number];
  const nodeTypes = nt[0];
  const edgeTypes = et[0];
  const count = raw.nodes.length / N;
  const id = new Float64Array(count);
  const size = new Float64Array(count);
  const retainer = new Int32Array(count).fill(-1);
  const retainerEdge: string[] = new Array<string>(count);
  const retainerRank = new Uint8Array(count);
  // Preference of an edge as "the" retainer: a property or element beats an internal or hidden edge.
  const rank: Record<string, number> = { property: 4, element: 4, context: 3, internal: 2, hidden: 1, shortcut: 0, weak: 0 };
  let edgeAt = 0;
  for (let i = 0; i < count; i++) {
    const base = i * N;
    id[i] = raw.nodes[base + fId]!;
    size[i] = raw.nodes[base + fSize]!;
    const edges = raw.nodes[base + fEdges]!;
    for (let k = 0; k < edges; k++, edgeAt += E) {
      const type = edgeTypes[raw.edges[edgeAt + eType]!]!;
      const r = rank[type] ?? 0;
      if (r === 0) continue;
      const to = raw.edges[edgeAt + eTo]! / N;
      if (retainer[to] !== -1 && retainerRank[to]! >= r) continue;
      retainer[to] = i;
      retainerRank[to] = r;
      const nameOrIndex = raw.edges[edgeAt + eName]!;
      retainerEdge[to] = type === 'element' || type === 'hidden' ? `[${nameOrIndex}]` : (raw.strings[nameOrIndex] ?? String(nameOrIndex));
    }
  }
  const kind = (i: number) => {
    const type = nodeTypes[raw.nodes[i * N + fType]!]!;
    if (type === 'object' || type === 'closure' || type === 'native') return `${type}:${raw.strings[raw.nodes[i * N + fName]!]}`;
    if (type === 'hidden' || type === 'array' || type === 'synthetic') return `${type}:${raw.strings[raw.nodes[i * N + fName]!]!.slice(0, 60)}`;
    return type;
  };
  const label = (i: number) => {
    const name = raw.strings[raw.nodes[i * N + fName]!] ?? '';
    return `${nodeTypes[raw.nodes[i * N + fType]!]}:${name.slice(0, 80)}@${id[i]}`;
  };
  return { count, kind, id, size, retainer, retainerEdge, label };
}

const mb = (bytes: number) => (bytes / 1_048_576).toFixed(2);

function byKind(heap: Heap): Map<string, { n: number; bytes: number }> {
  const out = new Map<string, { n: number; bytes: number }>();
  for (let i = 0; i < heap.count; i++) {
    const k = heap.kind(i);
    const e = out.get(k) ?? { n: 0, bytes: 0 };
    e.n++;
    e.bytes += heap.size[i]!;
    out.set(k, e);
  }
  return out;
}

/** Prints the first-retainer chain of object `id` up to a root. */
function retainers(heap: Heap, id: number): void {
  let at = heap.id.indexOf(id);
  if (at === -1) throw new Error(`no object @${id} in this snapshot`);
  const seen = new Set<number>();
  for (let steps = 0; at !== -1 && !seen.has(at) && steps < 40; steps++) {
    seen.add(at);
    const up = heap.retainer[at]!;
    process.stdout.write(`  ${heap.label(at)}${up === -1 ? '' : `  <- .${heap.retainerEdge[at]} of`}\n`);
    at = up;
  }
}

function main(): void {
  const args = process.argv.slice(2);
  const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const [fileA, fileB] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  const top = Number(value('--top') ?? 25);
  const chainOf = value('--retainers');
  if (fileA !== undefined && chainOf !== undefined) {
    retainers(loadHeap(fileA), Number(chainOf));
    return;
  }
  if (fileA === undefined || fileB === undefined) {
    process.stderr.write('usage: npx tsx bench/heap-diff.ts A.heapsnapshot B.heapsnapshot [--top N]\n');
    process.exit(2);
  }
  const a = loadHeap(fileA);
  const kindsA = byKind(a);
  const idsA = new Set<number>(a.id);
  const b = loadHeap(fileB);
  const kindsB = byKind(b);
  const totalA = a.size.reduce((x, y) => x + y, 0);
  const totalB = b.size.reduce((x, y) => x + y, 0);
  process.stdout.write(`A: ${a.count} objects, ${mb(totalA)} MB; B: ${b.count} objects, ${mb(totalB)} MB; growth ${mb(totalB - totalA)} MB\n\n`);

  process.stdout.write(`Largest growth by kind (count and MB, A -> B):\n`);
  const keys = new Set([...kindsA.keys(), ...kindsB.keys()]);
  const rows = [...keys].map((k) => {
    const x = kindsA.get(k) ?? { n: 0, bytes: 0 };
    const y = kindsB.get(k) ?? { n: 0, bytes: 0 };
    return { k, dn: y.n - x.n, db: y.bytes - x.bytes, x, y };
  });
  for (const r of rows.sort((p, q) => q.db - p.db).slice(0, top)) {
    process.stdout.write(`  ${(r.db >= 0 ? '+' : '') + mb(r.db)} MB  ${(r.dn >= 0 ? '+' : '') + r.dn} objects  ${r.k}  (${r.x.n} -> ${r.y.n})\n`);
  }

  // Anchor of each object new in B: walk up first retainers while they are new too.
  const isNew = (i: number) => !idsA.has(b.id[i]!);
  const anchors = new Map<string, { n: number; bytes: number; kinds: Map<string, number> }>();
  let newBytes = 0;
  for (let i = 0; i < b.count; i++) {
    if (!isNew(i)) continue;
    newBytes += b.size[i]!;
    let at = i;
    let via = '';
    for (let steps = 0; steps < 200; steps++) {
      const up = b.retainer[at]!;
      if (up === -1) break;
      via = b.retainerEdge[at] ?? '';
      at = up;
      if (!isNew(at)) break;
    }
    const key = at === i ? '(no retainer)' : `${b.label(at)} .${via}`;
    const e = anchors.get(key) ?? { n: 0, bytes: 0, kinds: new Map<string, number>() };
    e.n++;
    e.bytes += b.size[i]!;
    const k = b.kind(i);
    e.kinds.set(k, (e.kinds.get(k) ?? 0) + b.size[i]!);
    anchors.set(key, e);
  }
  process.stdout.write(`\nObjects new in B: ${mb(newBytes)} MB. Held by (nearest object that already existed in A, and the edge):\n`);
  for (const [key, e] of [...anchors].sort((p, q) => q[1].bytes - p[1].bytes).slice(0, top)) {
    const kinds = [...e.kinds].sort((p, q) => q[1] - p[1]).slice(0, 4).map(([k, v]) => `${k} ${mb(v)}`).join(', ');
    process.stdout.write(`  ${mb(e.bytes)} MB  ${e.n} objects  ${key}\n      ${kinds}\n`);
  }
}

main();
