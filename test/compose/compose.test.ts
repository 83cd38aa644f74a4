import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, configSchema, loadConfig, PROCESS_SECRETS, SECRET_VARIABLES } from '../../common/config';
import { createLogger } from '../../common/logger';
import {
  DEFAULT_PORT_BASE,
  DYNAMIC_CONFIG_FILE,
  findTemporalServer,
  portsFrom,
  SCHEMA_SCRIPT,
  schemaEnvironment,
  SERVER_CONFIG_DIR,
  SERVER_CONFIG_ENV,
  serverEnvironment,
  serviceArgs,
  TEMPORAL_SERVER_VERSION,
} from '../../tools/temporal/cluster';
import { findTemporalCli } from '../../tools/temporal/dev-server';
import { SEARCH_ATTRIBUTE_TYPES, submitTaskQueue } from '../../workflows/refund.contract';
import { temporalAddress, uniqueId } from '../helpers/temporal';

/**
 * There is no Docker engine on our machines, so docker-compose.yml and the Dockerfile are checked here: images pinned,
 * build targets real, app config only through variables the config schema knows (and values it accepts), dependencies
 * and health checks consistent, the namespace job's search attributes those of the workflow contract (and its script
 * run for real against the test server), and the config documented everywhere it is listed.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: { context?: string; target?: string; dockerfile?: string };
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  restart?: string;
  profiles?: string[];
  deploy?: { replicas?: number };
  entrypoint?: string[];
  volumes?: string[];
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;
const services = compose.services;
const APP_SERVICES = ['worker', 'api', 'sandbox'] as const;

/**
 * Compose's interpolation with an empty shell environment (what `docker compose up` sees without a .env file):
 * `${X:-d}` and `${X-d}` give d, `${X}` gives '', `$$` is a literal $; `${X:?msg}` is an error.
 */
function interpolate(value: string, env: Record<string, string> = {}): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, name?: string, op?: string, arg?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const key = (name ?? bare)!;
      const v = env[key];
      const unset = v === undefined || (op?.startsWith(':') === true && v === '');
      if (!op || !unset) return v ?? '';
      if (op.endsWith('-')) return arg ?? '';
      throw new Error(`${key} is required: ${arg ?? ''}`);
    },
  );
}

/**
 * What an operator puts in .env beside the compose file: the secrets and the external API URLs, which have no default
 * (`${X:?}`).
 */
const SECRETS: Record<string, string> = {
  BWP_API_URL: 'https://api.buywithprime.amazon.com/graphql',
  REFUND_API_URL: 'https://www.purpledotprice.com',
  BWP_CLIENT_ID: 'amzn1.bwp.client.from-the-console',
  BWP_CLIENT_SECRET: 'bwp-client-secret-from-the-console',
  REFUND_API_TOKEN: 'the-stores-access-token-0123',
  WEBHOOK_BASIC_PASSWORD: 'a-long-webhook-password-1',
  POSTGRES_PASSWORD: 'a-long-postgres-password-1',
  OPERATOR_KEYS_DIR: '/srv/refund-orchestrator/keys',
};

/** A service's config as its entry point loads it (the secrets it relies on; the sandbox checks them all). */
function configOf(name: string, extra: Record<string, string> = {}) {
  const uses = name === 'api' ? PROCESS_SECRETS.api : name === 'worker' ? PROCESS_SECRETS.worker : undefined;
  return loadConfig(envOf(name, extra), uses ? { uses } : {});
}

/** A service's environment as its process would see it (with the operator's secrets set, unless told otherwise). */
function envOf(name: string, extra: Record<string, string> = {}, base = SECRETS): Record<string, string> {
  const env = { ...base, ...extra };
  const raw = services[name]?.environment ?? {};
  assert.ok(!Array.isArray(raw), `${name}: write environment as a map (NAME: value) so it can be checked`);
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(v === null ? '' : String(v), env)]));
}

/** Where a service mounts a folder of the repo (`./src:/target[:ro]` → /target). */
function mountOf(name: string, source: string): string | undefined {
  const volume = services[name]?.volumes?.find((v) => v.split(':')[0] === source);
  return volume?.split(':')[1];
}

interface Stage {
  name: string;
  from: string;
  instructions: { op: string; args: string }[];
}

/** The Dockerfile's stages: `FROM image AS name` and the instructions under each (continuation lines joined). */
function dockerStages(text: string): Stage[] {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(m, `cannot read FROM ${args}`);
      stages.push({ from: m[1]!, name: m[2] ?? String(stages.length), instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

/** deploy/demo.env.example: what `--env-file deploy/demo.env.example` adds for the demo profile (NAME=value lines). */
const DEMO_ENV: Record<string, string> = Object.fromEntries(
  read('deploy/demo.env.example')
    .split(/\r?\n/)
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

const stages = dockerStages(read('Dockerfile'));
const stage = (name: string) => stages.find((s) => s.name === name);
/** A stage and the stages it is built FROM, nearest first. */
function lineage(name: string): Stage[] {
  const chain: Stage[] = [];
  for (let s = stage(name); s; s = stage(s.from)) chain.push(s);
  return chain;
}
const last = (chain: Stage[], op: string) =>
  chain.flatMap((s) => [...s.instructions].reverse()).find((i) => i.op === op);

describe('docker-compose.yml', () => {
  it('runs every service from a pinned image or from a target of the Dockerfile', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (svc.build) {
        assert.equal(svc.image, undefined, `${name}: build or image, not both`);
        assert.equal(svc.build.dockerfile ?? 'Dockerfile', 'Dockerfile', name);
        assert.ok(svc.build.target, `${name}: names a build target`);
        assert.ok(stage(svc.build.target), `${name}: target ${svc.build.target} is not a stage of the Dockerfile`);
      } else {
        assert.ok(svc.image, `${name}: has an image or a build`);
        // A version tag: not `latest`, not a floating major alone; a digest pin counts too.
        assert.match(
          svc.image,
          /(:\d+\.\d+[\w.-]*$)|(@sha256:[0-9a-f]{64}$)/,
          `${name}: image ${svc.image} is not pinned`,
        );
      }
    }
  });

  it('has the production-like stack of issue 8: Postgres, schema job, server, namespace job, UI, 3 workers, API, demo sandbox', () => {
    assert.match(services.postgresql?.image ?? '', /^postgres:16[.\d]*$/);
    assert.match(services['temporal-schema']?.image ?? '', /^temporalio\/admin-tools:/);
    assert.match(services.temporal?.image ?? '', /^temporalio\/server:/);
    assert.match(services['temporal-namespace']?.image ?? '', /^temporalio\/admin-tools:/);
    assert.match(services['temporal-ui']?.image ?? '', /^temporalio\/ui:/);
    assert.equal(services.worker?.deploy?.replicas, 3);
    assert.ok(services.api?.build);
    assert.deepEqual(services.sandbox?.profiles, ['demo'], 'the sandbox runs only in the demo profile');
    assert.equal(envOf('temporal').POSTGRES_SEEDS, 'postgresql');
    // The server, the schema job and Postgres agree on the password.
    assert.equal(envOf('temporal').POSTGRES_PWD, envOf('postgresql').POSTGRES_PASSWORD);
    assert.equal(envOf('temporal-schema').SQL_PASSWORD, envOf('postgresql').POSTGRES_PASSWORD);
  });

  it('configures worker, api and sandbox only with variables of the config schema, with values it accepts', () => {
    // Besides the schema, only Node's own runtime settings (docs/operations.md: cap the heap with NODE_OPTIONS).
    const known = new Set([...Object.keys(configSchema.shape), 'NODE_OPTIONS', 'TZ']);
    for (const name of APP_SERVICES) {
      const raw = services[name]?.environment ?? {};
      for (const [key, value] of Object.entries(raw)) {
        assert.ok(known.has(key), `${name}: ${key} is not a variable of common/config.ts`);
        // `${X:-…}` passes the operator's X through to X, never to another name.
        for (const m of String(value).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) {
          assert.equal(m[1], key, `${name}: ${key} takes its value from \${${m[1]}}`);
        }
      }
      assert.doesNotThrow(() => configOf(name), `${name}: its environment does not parse`);
    }
    // Values that must line up across services.
    const worker = configOf('worker');
    const api = configOf('api');
    const sandbox = configOf('sandbox');
    assert.equal(worker.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(api.TEMPORAL_ADDRESS, worker.TEMPORAL_ADDRESS);
    assert.equal(api.TEMPORAL_TASK_QUEUE, worker.TEMPORAL_TASK_QUEUE, "the API starts workflows on the workers' queue");
    assert.equal(api.TEMPORAL_NAMESPACE, envOf('temporal-namespace').TEMPORAL_NAMESPACE);
    assert.equal(worker.SANDBOX_ENABLED, 'false', 'a worker in a container never runs the simulators');
    assert.equal(api.API_HOST, '0.0.0.0', 'the API listens beyond its container');
    // The demo profile's env file points the app at the sandbox, with the credentials the sandbox accepts.
    const demo = configOf('worker', DEMO_ENV);
    assert.equal(new URL(demo.BWP_API_URL).host, `sandbox:${sandbox.SANDBOX_BWP_PORT}`);
    assert.equal(new URL(demo.REFUND_API_URL).host, `sandbox:${sandbox.SANDBOX_STORE_PORT}`);
    for (const key of ['BWP_CLIENT_ID', 'BWP_CLIENT_SECRET', 'BWP_TARGET_ID', 'REFUND_API_TOKEN'] as const)
      assert.equal(worker[key], sandbox[key], key);
    // The sandbox delivers events to the api service's webhook with the API's credentials.
    assert.equal(sandbox.API_HOST, 'api');
    assert.equal(sandbox.API_PORT, api.API_PORT);
    assert.equal(sandbox.WEBHOOK_BASIC_PASSWORD, api.WEBHOOK_BASIC_PASSWORD);
    // The worker's health check reads the metrics port it is given.
    assert.match(JSON.stringify(services.worker?.healthcheck?.test), new RegExp(`:${worker.METRICS_PORT}/metrics`));
    assert.match(JSON.stringify(services.api?.healthcheck?.test), new RegExp(`:${api.API_PORT}/readyz`));
  });

  it('refuses to start without each secret, naming it; nothing else must be set', () => {
    for (const secret of Object.keys(SECRETS)) {
      const { [secret]: _left, ...rest } = SECRETS;
      assert.throws(
        () => {
          for (const name of Object.keys(services)) {
            envOf(name, {}, rest);
            for (const volume of services[name]?.volumes ?? []) interpolate(volume, rest);
          }
        },
        new RegExp(`${secret} is required`),
        secret,
      );
    }
    // Every secret the app reads has no default in compose: set by the operator, or (the optional one) left unset.
    for (const name of APP_SERVICES) {
      for (const [key, value] of Object.entries(services[name]?.environment ?? {})) {
        if (!(SECRET_VARIABLES as readonly string[]).includes(key)) continue;
        assert.match(String(value), new RegExp(`^\\$\\{${key}:(\\?|-\\})`), `${name}: ${key} = ${String(value)}`);
      }
    }
    // In production mode, as each entry point loads it (api/main.ts, workers/main.ts), the secrets pass.
    assert.doesNotThrow(() => configOf('api'));
    assert.doesNotThrow(() => configOf('worker'));
    assert.equal(envOf('api').NODE_ENV, 'production');
  });

  it('requires the external API URLs outside the demo profile, https:// in production; the demo env file is development', () => {
    for (const url of ['BWP_API_URL', 'REFUND_API_URL']) {
      assert.match(String(services.worker?.environment?.[url]), new RegExp(`^\\$\\{${url}:\\?`), url);
      const { [url]: _left, ...rest } = SECRETS;
      assert.throws(() => envOf('worker', {}, rest), new RegExp(`${url} is required`), url);
      // Production (the default) refuses a plain-http URL off the machine, naming it; the demo file is development.
      assert.throws(() => configOf('worker', { [url]: 'http://sandbox:4010' }), new RegExp(url));
    }
    assert.equal(envOf('worker').NODE_ENV, 'production');
    assert.deepEqual(Object.keys(DEMO_ENV).sort(), ['BWP_API_URL', 'NODE_ENV', 'REFUND_API_URL']);
    assert.equal(configOf('api', DEMO_ENV).NODE_ENV, 'development');
    assert.doesNotThrow(() => configOf('worker', DEMO_ENV));
  });

  it("publishes Temporal's gRPC port and Web UI on 127.0.0.1 only (they have no authentication of their own)", () => {
    for (const name of ['temporal', 'temporal-ui']) {
      const ports = (services[name] as { ports?: string[] }).ports ?? [];
      assert.ok(ports.length > 0, `${name} publishes a port`);
      for (const port of ports) assert.match(interpolate(port), /^127\.0\.0\.1:\d+:\d+$/, `${name}: ${port}`);
    }
    // The API reads its operators' keys from a mounted folder (a file replaced on the host is seen at once).
    const keysFile = envOf('api').OPERATOR_KEYS_FILE!;
    const mount = (services.api?.volumes ?? []).map((v) => interpolate(v, SECRETS).split(':'));
    assert.ok(
      mount.some(([, target, mode]) => target === path.dirname(keysFile) && mode === 'ro'),
      JSON.stringify(mount),
    );
  });

  it('lets operators override app settings from the shell or .env', () => {
    for (const name of APP_SERVICES) assert.doesNotThrow(() => envOf(name), name);
    const custom = configOf('worker', {
      REFUND_RATE_LIMIT_PER_SECOND: '7.5',
      BWP_API_URL: 'https://api.example.com/graphql',
    });
    assert.equal(custom.REFUND_RATE_LIMIT_PER_SECOND, 7.5);
    assert.equal(custom.BWP_API_URL, 'https://api.example.com/graphql');
    assert.throws(() => configOf('worker', { REFUND_RATE_LIMIT_PER_SECOND: 'fast' }), /REFUND_RATE_LIMIT_PER_SECOND/);
  });

  it('orders start-up with depends_on conditions on services that exist and can meet them', () => {
    const jobs = new Set<string>();
    for (const [name, svc] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        const target = services[dep];
        assert.ok(target, `${name} depends on ${dep}, which is not a service`);
        assert.ok(
          ['service_started', 'service_healthy', 'service_completed_successfully'].includes(condition),
          `${name} → ${dep}: ${condition}`,
        );
        if (condition === 'service_healthy')
          assert.ok(target.healthcheck, `${name} waits for ${dep} to be healthy, but it has no healthcheck`);
        if (condition === 'service_completed_successfully') jobs.add(dep);
        // A service outside a profile cannot wait for one inside it.
        if (target.profiles)
          assert.ok(
            svc.profiles?.some((p) => target.profiles!.includes(p)),
            `${name} depends on ${dep} of profile ${target.profiles.join()}`,
          );
      }
    }
    assert.deepEqual([...jobs].sort(), ['temporal-namespace', 'temporal-schema']);
    // The chain: Postgres healthy → schema done → server healthy → namespace done → UI, workers, API.
    assert.equal(services['temporal-schema']?.depends_on?.postgresql?.condition, 'service_healthy');
    assert.equal(services.temporal?.depends_on?.['temporal-schema']?.condition, 'service_completed_successfully');
    assert.equal(services['temporal-namespace']?.depends_on?.temporal?.condition, 'service_healthy');
    for (const name of ['temporal-ui', 'worker', 'api']) {
      assert.equal(
        services[name]?.depends_on?.['temporal-namespace']?.condition,
        'service_completed_successfully',
        name,
      );
    }
  });

  it('gives every long-running service a health check and a restart policy; one-shot jobs retry a few times', () => {
    const jobs = new Set(['temporal-schema', 'temporal-namespace']);
    for (const [name, svc] of Object.entries(services)) {
      if (jobs.has(name)) {
        assert.match(svc.restart ?? '', /^on-failure(:\d+)?$/, `${name}: a job restarts only on failure`);
        assert.equal(svc.healthcheck, undefined, `${name}: a job exits; it has no health`);
      } else {
        assert.ok(svc.healthcheck?.test, `${name}: no healthcheck`);
        assert.match(svc.restart ?? '', /^(unless-stopped|always)$/, `${name}: restart policy`);
      }
    }
    // Docker must not kill a draining worker before its shutdown grace time (30 s) has passed.
    assert.ok(seconds(services.worker?.stop_grace_period ?? '10s') > 30, 'worker stop_grace_period > 30s');
  });

  it("creates exactly the workflow contract's search attributes in the namespace job", () => {
    const declared = Object.fromEntries(
      envOf('temporal-namespace')
        .SEARCH_ATTRIBUTES!.split(/\s+/)
        .filter(Boolean)
        .map((pair) => pair.split('=') as [string, string]),
    );
    assert.deepEqual(declared, { ...SEARCH_ATTRIBUTE_TYPES });
    assert.deepEqual(services['temporal-namespace']?.entrypoint, ['/bin/sh', '/deploy/create-namespace.sh']);
    assert.deepEqual(services['temporal-schema']?.entrypoint, ['/bin/sh', '/deploy/setup-postgres.sh']);
    for (const job of ['temporal-schema', 'temporal-namespace']) {
      assert.ok(services[job]?.volumes?.includes('./deploy/temporal:/deploy:ro'), `${job} mounts deploy/temporal`);
    }
  });

  it('gives the submission queue a single partition in the server dynamic config, so its rate limit is one bucket', () => {
    const mount = mountOf('temporal', './deploy/temporal/dynamicconfig');
    assert.ok(mount, 'the server mounts deploy/temporal/dynamicconfig');
    const file = envOf('temporal').DYNAMIC_CONFIG_FILE_PATH!;
    assert.equal(path.posix.dirname(file), mount, 'DYNAMIC_CONFIG_FILE_PATH is a file of the mounted folder');
    const dyn = parse(read(path.join('deploy/temporal/dynamicconfig', path.basename(file)))) as Record<
      string,
      { value: unknown; constraints?: { taskQueueName?: string } }[]
    >;
    const queue = submitTaskQueue(configOf('worker').TEMPORAL_TASK_QUEUE);
    for (const key of ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions']) {
      assert.deepEqual(
        dyn[key]?.find((v) => v.constraints?.taskQueueName === queue)?.value,
        1,
        `${key} is 1 for ${queue}`,
      );
    }
  });

  it('keeps the shell scripts of deploy/ valid POSIX sh', async () => {
    for (const script of ['deploy/temporal/setup-postgres.sh', 'deploy/temporal/create-namespace.sh']) {
      const { code, output } = await run('sh', ['-n', path.join(ROOT, script)], process.env);
      assert.equal(code, 0, `${script}: ${output}`);
    }
  });
});

describe('the Temporal server: compose and `npm run cluster` from one source', () => {
  const version = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
  const template = read('deploy/temporal/config/refund-orchestrator.yaml');
  /** Every variable the template reads, and those it refuses to render without. */
  const templateVars = new Set(
    [...template.matchAll(/\(env "([A-Z0-9_]+)"\)|env "([A-Z0-9_]+)"/g)].map((m) => m[1] ?? m[2]),
  );
  const required = [...(/range list ((?:"[A-Z0-9_]+"\s*)+)/.exec(template)?.[1] ?? '').matchAll(/"([A-Z0-9_]+)"/g)].map(
    (m) => m[1]!,
  );
  // The temporal-server CLI reads this one itself (--allow-no-auth), not the template.
  const cliVars = new Set(['TEMPORAL_ALLOW_NO_AUTH']);
  const clusterEnv = serverEnvironment({
    ports: portsFrom(DEFAULT_PORT_BASE),
    postgres: { host: '127.0.0.1', port: 15432, user: 'temporal', password: 'pw' },
    databases: { temporal: 'temporal', visibility: 'temporal_visibility' },
    shards: 4,
    logLevel: 'warn',
  });

  it(`runs server ${version} in the server image and the admin-tools images (the version npm run cluster builds)`, () => {
    for (const name of ['temporal', 'temporal-schema', 'temporal-namespace']) {
      assert.equal(services[name]?.image?.split(':')[1], version, `${name}: ${services[name]?.image}`);
    }
  });

  it('starts the server from the config template of deploy/temporal/config, as the cluster does', () => {
    const configMount = mountOf('temporal', './deploy/temporal/config');
    assert.ok(configMount, 'the server mounts deploy/temporal/config');
    assert.deepEqual(services.temporal?.entrypoint, [
      'temporal-server',
      '--root',
      '/',
      '--config',
      configMount,
      '--env',
      SERVER_CONFIG_ENV,
      'start',
    ]);
    assert.ok(template.startsWith('# enable-template'), 'the server renders the template itself');
    assert.ok(fs.existsSync(path.join(SERVER_CONFIG_DIR, `${SERVER_CONFIG_ENV}.yaml`)));
    assert.equal(SERVER_CONFIG_DIR, path.join(ROOT, 'deploy', 'temporal', 'config'));
    // The cluster runs each service from the same folder and environment name.
    const args = serviceArgs('history');
    assert.deepEqual(args.slice(0, 6), ['--root', '/', '--config', SERVER_CONFIG_DIR, '--env', SERVER_CONFIG_ENV]);
    assert.deepEqual(args.slice(6), ['start', '--service', 'history']);
    // And the same dynamic config file.
    assert.equal(
      DYNAMIC_CONFIG_FILE,
      path.join(ROOT, 'deploy', 'temporal', 'dynamicconfig', 'refund-orchestrator.yaml'),
    );
    assert.equal(path.basename(envOf('temporal').DYNAMIC_CONFIG_FILE_PATH!), path.basename(DYNAMIC_CONFIG_FILE));
  });

  it('sets only variables the template reads, and every one it requires', () => {
    assert.deepEqual(required.sort(), ['DYNAMIC_CONFIG_FILE_PATH', 'POSTGRES_SEEDS', 'POSTGRES_USER']);
    for (const [who, env] of [
      ['docker-compose.yml temporal', envOf('temporal')],
      ['npm run cluster', clusterEnv],
    ] as const) {
      const unknown = Object.keys(env).filter((k) => !templateVars.has(k) && !cliVars.has(k));
      assert.deepEqual(unknown, [], `${who} sets variables the template does not read`);
      for (const name of required) assert.ok(env[name], `${who} sets ${name}`);
      assert.equal(env.TEMPORAL_ALLOW_NO_AUTH, 'true', who);
    }
  });

  it('renders (with the real temporal-server) to the same PostgreSQL set-up for both, differing only where meant', async () => {
    const { server } = await findTemporalServer({
      serverPath: process.env.TEMPORAL_SERVER || undefined,
      sqlToolPath: process.env.TEMPORAL_SQL_TOOL || undefined,
      log: createLogger({ level: 'warn', pretty: false }),
    });
    const render = async (env: Record<string, string>) => {
      const out = await run(
        server,
        ['--root', '/', '--config', SERVER_CONFIG_DIR, '--env', SERVER_CONFIG_ENV, 'render-config'],
        {
          PATH: process.env.PATH,
          ...env,
        },
      );
      assert.equal(out.code, 0, out.output);
      return parse(out.output.slice(out.output.indexOf('archival:'))) as RenderedConfig;
    };
    const composed = await render(envOf('temporal'));
    const local = await render(clusterEnv);
    const stores = (c: RenderedConfig) =>
      Object.fromEntries(
        Object.entries(c.persistence.datastores).map(([k, v]) => [
          k,
          { pluginName: v.sql?.pluginName, databaseName: v.sql?.databaseName },
        ]),
      );
    assert.deepEqual(stores(composed), {
      default: { pluginName: 'postgres12', databaseName: 'temporal' },
      visibility: { pluginName: 'postgres12', databaseName: 'temporal_visibility' },
    });
    assert.deepEqual(stores(local), stores(composed), 'the same stores, plugin and databases');
    assert.equal(composed.persistence.defaultStore, local.persistence.defaultStore);
    assert.equal(composed.persistence.visibilityStore, local.persistence.visibilityStore);
    assert.equal(composed.persistence.datastores.default?.sql?.connectAddr, 'postgresql:5432');
    // Where they differ on purpose: shards (512 for production, 4 on one machine), binding, ports.
    assert.equal(composed.persistence.numHistoryShards, 512);
    assert.equal(local.persistence.numHistoryShards, 4);
    // In compose only the frontend listens on the compose network; history, matching and worker on loopback.
    assert.equal(composed.services.frontend?.rpc.bindOnIP, '0.0.0.0');
    for (const svc of ['history', 'matching', 'worker']) {
      assert.equal(composed.services[svc]?.rpc.bindOnIP, '127.0.0.1', `compose's ${svc} binds loopback only`);
    }
    for (const svc of ['frontend', 'history', 'matching', 'worker']) {
      assert.equal(local.services[svc]?.rpc.bindOnIP, '127.0.0.1', `the cluster's ${svc} binds loopback only`);
    }
    // The workers and API of compose reach the frontend where the template puts it.
    assert.equal(`temporal:${composed.services.frontend?.rpc.grpcPort}`, configOf('worker').TEMPORAL_ADDRESS);
    assert.equal(composed.dynamicConfigClient.filepath, envOf('temporal').DYNAMIC_CONFIG_FILE_PATH);
    assert.equal(local.dynamicConfigClient.filepath, DYNAMIC_CONFIG_FILE);
    // The password reaches both stores (render-config masks it; an empty one would render as '').
    assert.equal(composed.persistence.datastores.visibility?.sql?.password, '******');
  });

  it('migrates the schemas with the same script and the same database names', () => {
    assert.equal(SCHEMA_SCRIPT, path.join(ROOT, 'deploy', 'temporal', 'setup-postgres.sh'));
    assert.equal(mountOf('temporal-schema', './deploy/temporal'), '/deploy');
    assert.deepEqual(services['temporal-schema']?.entrypoint, ['/bin/sh', '/deploy/setup-postgres.sh']);
    const job = envOf('temporal-schema');
    const server = envOf('temporal');
    for (const key of ['POSTGRES_SEEDS', 'DB_PORT', 'POSTGRES_USER'] as const) assert.equal(job[key], server[key], key);
    assert.equal(job.SQL_PASSWORD, server.POSTGRES_PWD);
    // Same database names as the server's (both leave the defaults, temporal and temporal_visibility).
    assert.equal(job.DBNAME, server.DBNAME);
    assert.equal(job.VISIBILITY_DBNAME, server.VISIBILITY_DBNAME);
    assert.equal(job.SCHEMA_DIR, undefined, "the schemas embedded in the image's tool: the server's own version");
    // The cluster passes the script the same settings it gives the server.
    const schemaEnv = schemaEnvironment({
      sqlTool: '/x/temporal-sql-tool',
      postgres: { host: '127.0.0.1', port: 15432, user: 'temporal', password: 'pw' },
      databases: { temporal: 'temporal', visibility: 'temporal_visibility' },
    });
    assert.equal(schemaEnv.POSTGRES_SEEDS, clusterEnv.POSTGRES_SEEDS);
    assert.equal(schemaEnv.DB_PORT, clusterEnv.DB_PORT);
    assert.equal(schemaEnv.POSTGRES_USER, clusterEnv.POSTGRES_USER);
    assert.equal(schemaEnv.SQL_PASSWORD, clusterEnv.POSTGRES_PWD);
    assert.equal(schemaEnv.DBNAME, clusterEnv.DBNAME);
    assert.equal(schemaEnv.VISIBILITY_DBNAME, clusterEnv.VISIBILITY_DBNAME);
  });
});

interface RenderedConfig {
  persistence: {
    numHistoryShards: number;
    defaultStore: string;
    visibilityStore: string;
    datastores: Record<
      string,
      { sql?: { pluginName: string; databaseName: string; connectAddr: string; password: string } }
    >;
  };
  services: Record<string, { rpc: { grpcPort: number; bindOnIP: string } } | undefined>;
  dynamicConfigClient: { filepath: string };
}

describe('Dockerfile', () => {
  it('builds with every dependency and `npm run build` in a build stage', () => {
    const build = stage('build');
    assert.ok(build, 'a stage named build');
    const runs = build.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    assert.ok(
      runs.some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev')),
      'npm ci (with dev dependencies)',
    );
    assert.ok(
      runs.some((r) => r.includes('npm run build')),
      'npm run build',
    );
    // Every folder tsc compiles is copied in.
    const include = (JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include;
    const copied = build.instructions.filter((i) => i.op === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const dir of include) assert.ok(copied.includes(dir), `the build stage copies ${dir}/`);
  });

  it('ships production dependencies only and runs as a non-root user in every target', () => {
    const runtime = stage('runtime');
    assert.ok(runtime, 'a stage named runtime');
    const runs = runtime.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    assert.ok(
      runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r)),
      'npm ci --omit=dev',
    );
    assert.ok(
      runtime.instructions.some(
        (i) => i.op === 'COPY' && i.args.startsWith('--from=build') && i.args.includes('/app/dist'),
      ),
    );
    for (const target of ['worker', 'api', 'sandbox']) {
      const chain = lineage(target);
      assert.ok(
        chain.some((s) => s.name === 'runtime'),
        `${target} is built on runtime`,
      );
      const user = last(chain, 'USER')?.args;
      assert.ok(user && !/^(root|0)(:|$)/.test(user), `${target} runs as a non-root user (USER ${user ?? 'unset'})`);
    }
  });

  it('starts each target with node on a compiled entry point that exists in the source', () => {
    const expected = { worker: 'dist/workers/main.js', api: 'dist/api/main.js', sandbox: 'dist/sandbox/main.js' };
    for (const [target, entry] of Object.entries(expected)) {
      const cmd = JSON.parse(last(lineage(target), 'CMD')?.args ?? '[]') as string[];
      assert.deepEqual(cmd, ['node', entry], `${target}: exec-form CMD so node gets SIGTERM`);
      const source = entry.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      assert.ok(fs.existsSync(path.join(ROOT, source)), `${source} exists`);
    }
  });

  it('sets only config-schema variables with ENV', () => {
    const known = new Set(Object.keys(configSchema.shape));
    for (const s of stages) {
      for (const i of s.instructions.filter((x) => x.op === 'ENV')) {
        const name = i.args.split(/[=\s]/)[0]!;
        assert.ok(known.has(name), `${s.name}: ENV ${name} is not a config variable`);
      }
    }
  });

  it('keeps what the build copies out of .dockerignore', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    const copied = stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const src of copied) assert.ok(!ignored.includes(src.replace(/\/$/, '')), `${src} is copied but ignored`);
    for (const must of ['node_modules', 'dist', '.env', '.git'])
      assert.ok(ignored.includes(must), `${must} is ignored`);
  });
});

describe('config documentation', () => {
  it('lists every variable of the config schema in the README config table and in .env.example', () => {
    const readmeRows = new Set([...read('README.md').matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/gm)].map((m) => m[1]));
    const example = new Set([...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    assert.deepEqual(
      CONFIG_VARIABLES.filter((v) => !readmeRows.has(v)),
      [],
      'missing from the README config table',
    );
    assert.deepEqual(
      CONFIG_VARIABLES.filter((v) => !example.has(v)),
      [],
      'missing from .env.example',
    );
    const known = new Set<string>(CONFIG_VARIABLES);
    assert.deepEqual(
      [...example].filter((v) => !known.has(v!)),
      [],
      '.env.example names variables the service does not read',
    );
  });
});

describe('deploy/temporal/create-namespace.sh (run with the temporal CLI against the test server)', () => {
  let binDir = '';
  let address = '';
  const env = (extra: Record<string, string>) => ({
    ...process.env,
    PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`,
    ...extra,
  });
  const script = path.join(ROOT, 'deploy/temporal/create-namespace.sh');

  before(async () => {
    address = await temporalAddress();
    const cli = await findTemporalCli({
      cliPath: process.env.TEMPORAL_CLI || undefined,
      log: createLogger({ level: 'warn', pretty: false }),
    });
    // The script calls `temporal` from PATH, as in the admin-tools image.
    binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-bin-'));
    fs.symlinkSync(cli, path.join(binDir, 'temporal'));
  });
  after(() => fs.rmSync(binDir, { recursive: true, force: true }));

  it('creates the namespace and the search attributes the compose job declares, and is idempotent', async () => {
    const namespace = uniqueId('compose-ns');
    // The job's own environment from docker-compose.yml, pointed at the test server and a fresh namespace.
    const jobEnv = env({
      ...envOf('temporal-namespace'),
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      SLEEP_SECONDS: '1',
    });
    const first = await run('sh', [script], jobEnv);
    assert.equal(first.code, 0, first.output);
    const again = await run('sh', [script], jobEnv);
    assert.equal(again.code, 0, `a second run must succeed too:\n${again.output}`);
    assert.match(again.output, /already exists/);

    const connection = await Connection.connect({ address });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const TYPES: Record<number, string> = {
        1: 'Text',
        2: 'Keyword',
        3: 'Int',
        4: 'Double',
        5: 'Bool',
        6: 'Datetime',
        7: 'KeywordList',
      };
      const created = Object.fromEntries(Object.entries(customAttributes ?? {}).map(([k, v]) => [k, TYPES[Number(v)]]));
      assert.deepEqual(created, { ...SEARCH_ATTRIBUTE_TYPES });
      const ns = await connection.workflowService.describeNamespace({ namespace });
      assert.equal(
        Number(ns.config?.workflowExecutionRetentionTtl?.seconds),
        30 * 24 * 3600,
        'closed refunds kept 30 days',
      );
    } finally {
      await connection.close();
    }
  });

  it('fails loudly when an attribute already exists with another type', async () => {
    const namespace = uniqueId('compose-ns');
    const ok = await run(
      'sh',
      [script],
      env({ TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, SEARCH_ATTRIBUTES: 'RefundStatus=Keyword' }),
    );
    assert.equal(ok.code, 0, ok.output);
    const clash = await run(
      'sh',
      [script],
      env({ TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, SEARCH_ATTRIBUTES: 'RefundStatus=Text' }),
    );
    assert.notEqual(clash.code, 0);
    assert.match(clash.output, /different type/);
  });
});

function seconds(duration: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(duration);
  assert.ok(m, `cannot read duration ${duration}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] as 'ms' | 's' | 'm'];
}

async function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, output };
}
