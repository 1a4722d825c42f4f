import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
  const services = compose.services;

  it('parses and runs PostgreSQL 15, Redis 7, an SQS server and the stream worker', () => {
    expect(services.postgres?.image).toBe('postgres:15');
    expect(services.redis?.image).toBe('redis:7');
    expect(services.sqs?.image).toMatch(/^kibertoad\/fauxqs:1\.9\.2$/);
    expect(services['stream-worker']?.command).toEqual(['workers', '--stream']);
  });

  it('builds the image from infra/Dockerfile, which builds the repo and runs the CLI', () => {
    const build = Object.values(services).find((s) => s.build)?.build;
    expect(build).toEqual({ context: '.', dockerfile: 'infra/Dockerfile' });
    const dockerfile = readFileSync(`${root}infra/Dockerfile`, 'utf8');
    expect(dockerfile).toContain('pnpm build');
    expect(dockerfile).toContain('ENTRYPOINT ["node", "workers/cli/dist/main.js"]');
    expect(existsSync(`${root}${services['sqs-init']!.entrypoint![1]!}`)).toBe(true);
  });

  it('gives every idgraph container what the stream worker config requires, pointing at services that exist', () => {
    for (const name of ['sqs-init', 'migrate', 'stream-worker']) {
      const env = services[name]!.environment!;
      for (const variable of ['DATABASE_URL', 'REDIS_URL', 'SQS_QUEUE_URL', 'SQS_DLQ_URL', 'SQS_ENDPOINT', 'AWS_REGION']) {
        expect(env[variable], `${name}.${variable}`).toBeTruthy();
      }
      expect(new URL(env.DATABASE_URL!).hostname).toBe('postgres');
      expect(new URL(env.REDIS_URL!).hostname).toBe('redis');
      expect(new URL(env.SQS_QUEUE_URL!).host).toBe(new URL(env.SQS_ENDPOINT!).host);
    }
    expect(services['stream-worker']!.environment!.STREAM_POLLERS).toBe('4');
  });

  it('starts things in order: healthy services, queues created, migrations applied, then the worker', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of Object.keys(service.depends_on ?? {})) {
        expect(services[dependency], `${name} depends on ${dependency}`).toBeDefined();
      }
    }
    expect(services['stream-worker']!.depends_on).toMatchObject({
      migrate: { condition: 'service_completed_successfully' },
      'sqs-init': { condition: 'service_completed_successfully' },
      redis: { condition: 'service_healthy' },
    });
    expect(services.migrate!.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
  });
});
