import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

/**
 * A deliberately small Kustomize renderer (ADR 0015): plain YAML composition for exactly the fields
 * deploy/kubernetes uses (resources, namespace, images, replicas, strategic-merge patches of maps
 * with containers merged by name). Any other kustomization field throws, so a manifest feature the
 * test cannot render never passes unchecked. `kubectl kustomize` renders the same result.
 */
export type Resource = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown } };

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string }[];
  replicas?: { name: string; count: number }[];
  patches?: { path: string }[];
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'replicas', 'patches']);

function readDocs(file: string): Resource[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
      return d.toJS() as Resource | null;
    })
    .filter((r): r is Resource => r !== null);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Strategic merge for maps; lists of named items (containers, volumes, env) merge by name; other lists are replaced. */
export function merge(base: unknown, patch: unknown): unknown {
  if (isObject(base) && isObject(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? merge(base[k], v) : v;
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch) && patch.every((p) => isObject(p) && typeof p.name === 'string')) {
    const out = [...base] as unknown[];
    for (const item of patch as Record<string, unknown>[]) {
      const at = out.findIndex((b) => isObject(b) && b.name === item.name);
      if (at === -1) out.push(item);
      else out[at] = merge(out[at], item);
    }
    return out;
  }
  return patch;
}

function setImages(node: unknown, images: NonNullable<Kustomization['images']>): void {
  if (Array.isArray(node)) {
    for (const n of node) setImages(n, images);
    return;
  }
  if (!isObject(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'image' && typeof v === 'string') {
      const [name, tag] = v.split(/:(?=[^/]+$)/);
      const rule = images.find((i) => i.name === name);
      if (rule !== undefined) node[k] = `${rule.newName ?? name}:${rule.newTag ?? tag ?? 'latest'}`;
    } else {
      setImages(v, images);
    }
  }
}

/** Renders the kustomization in `dir` to its list of resources. */
export function kustomize(dir: string): Resource[] {
  const k = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unknown = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unknown.length > 0) throw new Error(`${dir}: kustomization fields not supported by the test renderer: ${unknown.join(', ')}`);
  let resources: Resource[] = [];
  for (const entry of k.resources ?? []) {
    const target = path.join(dir, entry);
    resources.push(...(entry.endsWith('.yaml') || entry.endsWith('.yml') ? readDocs(target) : kustomize(target)));
  }
  for (const { path: patchFile } of k.patches ?? []) {
    for (const patch of readDocs(path.join(dir, patchFile))) {
      const at = resources.findIndex((r) => r.kind === patch.kind && r.metadata.name === patch.metadata.name);
      if (at === -1) throw new Error(`${patchFile}: no ${patch.kind}/${patch.metadata.name} to patch`);
      resources[at] = merge(resources[at], patch) as Resource;
    }
  }
  for (const { name, count } of k.replicas ?? []) {
    const target = resources.find((r) => r.metadata.name === name && (r.kind === 'Deployment' || r.kind === 'StatefulSet'));
    if (target === undefined) throw new Error(`replicas: no workload ${name}`);
    (target.spec as Record<string, unknown>).replicas = count;
  }
  if (k.images !== undefined) setImages(resources, k.images);
  const namespace = k.namespace;
  if (namespace !== undefined) resources = resources.map((r) => ({ ...r, metadata: { ...r.metadata, namespace } }));
  return resources;
}
