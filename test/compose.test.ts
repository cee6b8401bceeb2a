import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config.ts';
import { repoRoot } from './fixtures/basics.ts';

/*
 * compose.yaml cannot run on this machine (no image registry), so its structure is checked against what the
 * rest of the project says: the CLI's roles, the configuration's names and values, and the wiring between
 * services (a healthcheck wherever a condition waits for one, hosts that are services).
 */

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

const compose = parse(readFileSync(join(repoRoot, 'compose.yaml'), 'utf8'), { merge: true }) as {
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
    for (const [, service] of firstcomeServices) {
      expect(existsSync(join(repoRoot, 'src/roles', `${service.command?.[0]}.ts`))).toBe(true);
    }
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
