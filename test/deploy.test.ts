import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../src/config.ts';
import { repoRoot } from './fixtures/basics.ts';

/*
 * compose.yaml and deploy/k8s cannot run on this machine (no image registry, no cluster), so their structure
 * is checked against what the rest of the project says: the CLI's roles, the configuration's names and
 * values, the ports each role answers health on, and the wiring between their parts.
 */

const readYaml = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const isRole = (command: string | undefined) => existsSync(join(repoRoot, 'src/roles', `${command}.ts`));

/** Settings a deployment sets that the configuration does not know (a typo is silently ignored otherwise). */
const unknownSettings = (env: Record<string, string>) => {
  const config = loadConfig(env);
  return Object.keys(env).filter((key) => !(key in config));
};

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  restart?: string;
}

const compose = parse(readYaml('compose.yaml'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const firstcomeServices = Object.entries(services).filter(([, service]) => service.build === '.');

/** Compose's interpolation: `${NAME:-default}` takes the default, `${NAME:?message}` the value given here. */
const interpolate = (value: string, given: Record<string, string>) =>
  value.replace(/\$\{(\w+):([-?])([^}]*)\}/g, (_, name: string, kind: string, fallback: string) =>
    kind === '-' ? fallback : (given[name] ?? ''),
  );
const secrets = {
  ADMIN_TOKEN: 'an-admin-token-of-32-characters!',
  JWT_SECRET: 'a-jwt-secret-of-at-least-32-characters',
};
const envOf = (service: Service) =>
  Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(String(value), secrets)]),
  );

describe('compose.yaml', () => {
  it('runs Redis with AOF, Apache Kafka in KRaft mode, PostgreSQL and every role of the one image', () => {
    expect(services.redis?.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(services.kafka?.image).toMatch(/^apache\/kafka:/);
    expect(services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(services.postgres?.image).toMatch(/^postgres:/);
    const roles = firstcomeServices.map(([, service]) => service.command?.[0]).sort();
    expect(roles).toEqual(['migrate', 'relay', 'serve', 'worker']);
    expect(services.api?.deploy?.replicas).toBe(2);
    expect(new Set(firstcomeServices.map(([, service]) => service.image)).size).toBe(1);
  });

  it('names only commands the CLI runs as roles', () => {
    for (const [, service] of firstcomeServices) expect(isRole(service.command?.[0])).toBe(true);
  });

  it("gives each role settings the configuration accepts, by names it knows, pointing at compose's services", () => {
    for (const [name, service] of firstcomeServices) {
      const env = envOf(service);
      const config = loadConfig(env);
      expect(
        Object.keys(env).filter((key) => !(key in config)),
        `unknown settings in ${name}`,
      ).toEqual([]);
      const hosts = [
        new URL(config.REDIS_URL).hostname,
        new URL(config.DATABASE_URL).hostname,
        ...config.KAFKA_BROKERS.map((broker) => broker.split(':')[0]),
      ];
      for (const host of hosts) expect(Object.keys(services), `${name} reaches ${host}`).toContain(host);
    }
    expect(services.kafka?.environment?.KAFKA_ADVERTISED_LISTENERS).toBe(
      `PLAINTEXT://${envOf(services.relay!).KAFKA_BROKERS}`,
    );
  });

  it('checks each long-running role where it answers: the API on PORT, relay and worker on METRICS_PORT', () => {
    for (const [name, service] of firstcomeServices.filter(([, s]) => s.restart !== 'no')) {
      const config = loadConfig(envOf(service));
      const port = name === 'api' ? config.PORT : config.METRICS_PORT;
      expect(service.healthcheck?.test.join(' '), name).toContain(`http://127.0.0.1:${port}/`);
    }
    expect(services.api?.healthcheck?.test.join(' ')).toContain('/readyz');
  });

  it('waits only on services that exist, on a healthcheck where it waits for health', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = services[dependency];
        expect(target, `${name} depends on ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') expect(target?.healthcheck, `${dependency}'s healthcheck`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(target?.restart).toBe('no');
      }
    }
    for (const role of ['api', 'relay', 'worker']) {
      expect(services[role]?.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    }
  });
});

interface Container {
  name: string;
  image: string;
  args: string[];
  envFrom: ({ configMapRef: { name: string } } | { secretRef: { name: string } })[];
  env?: { name: string; value: string }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
  securityContext: { readOnlyRootFilesystem?: boolean };
}
interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector: { matchLabels?: Record<string, string> } & Record<string, string>;
    template: {
      metadata: { labels: Record<string, string> };
      spec: { securityContext: { runAsUser: number }; containers: Container[] };
    };
  };
}

const kustomization = parse(readYaml('deploy/k8s/kustomization.yaml')) as { resources: string[] };
const manifests = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readYaml(`deploy/k8s/${file}`)).map((doc) => doc.toJS() as Manifest),
);
const deployments = manifests.filter((m) => m.kind === 'Deployment');
const configMap = manifests.find((m) => m.kind === 'ConfigMap')!;
const secret = parse(readYaml('deploy/k8s/secret.example.yaml')) as Manifest;
const standardLabels = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component'];

describe('deploy/k8s', () => {
  it("has a Deployment per role, selected by the standard labels, running as the image's node user", () => {
    expect(deployments.map((d) => d.spec!.template.spec.containers[0]!.args[0]).sort()).toEqual([
      'relay',
      'serve',
      'worker',
    ]);
    for (const { metadata, spec } of deployments) {
      const container = spec!.template.spec.containers[0]!;
      expect(isRole(container.args[0]), metadata.name).toBe(true);
      expect(Object.keys(spec!.selector.matchLabels ?? {}).sort(), metadata.name).toEqual([...standardLabels].sort());
      expect(spec!.template.metadata.labels).toMatchObject(spec!.selector.matchLabels ?? {});
      expect(metadata.labels).toMatchObject(spec!.selector.matchLabels ?? {});
      expect(spec!.template.spec.securityContext.runAsUser).toBe(1000);
      expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    }
  });

  it('gives every role settings the configuration accepts from the ConfigMap, the Secret and its own env', () => {
    for (const { metadata, spec } of deployments) {
      const container = spec!.template.spec.containers[0]!;
      expect(container.envFrom).toEqual([
        { configMapRef: { name: configMap.metadata.name } },
        { secretRef: { name: secret.metadata.name } },
      ]);
      const own = Object.fromEntries((container.env ?? []).map(({ name, value }) => [name, value]));
      expect(unknownSettings({ ...configMap.data, ...secret.stringData, ...own }), metadata.name).toEqual([]);
    }
  });

  it('probes each role where it answers: the API on PORT (/healthz, /readyz), relay and worker on METRICS_PORT', () => {
    for (const { metadata, spec } of deployments) {
      const container = spec!.template.spec.containers[0]!;
      const own = Object.fromEntries((container.env ?? []).map(({ name, value }) => [name, value]));
      const config = loadConfig({ ...configMap.data, ...secret.stringData, ...own });
      const probed = container.ports.find((port) => port.name === container.livenessProbe?.httpGet.port);
      expect(container.livenessProbe?.httpGet.path, metadata.name).toBe('/healthz');
      if (container.args[0] === 'serve') {
        expect(probed?.containerPort).toBe(config.PORT);
        expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: probed?.name });
      } else {
        expect(probed?.containerPort, metadata.name).toBe(config.METRICS_PORT);
      }
    }
  });

  it('has a Service that selects the API pods by their port name', () => {
    const service = manifests.find((m) => m.kind === 'Service') as unknown as {
      spec: { selector: Record<string, string>; ports: { targetPort: string }[] };
    };
    const api = deployments.find((d) => d.spec!.template.spec.containers[0]!.args[0] === 'serve')!;
    expect(api.spec!.template.metadata.labels).toMatchObject(service.spec.selector);
    const portNames = api.spec!.template.spec.containers[0]!.ports.map((port) => port.name);
    for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
  });
});
