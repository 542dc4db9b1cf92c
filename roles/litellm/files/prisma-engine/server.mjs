// A Prisma query engine *process* for prisma-client-py, built on the WebAssembly engine.
//
// prisma-client-py starts `<engine> --version`, then `<engine> -p PORT --enable-metrics
// --enable-raw-queries` with PRISMA_DML_PATH (schema.prisma) and DATABASE_URL (or
// OVERWRITE_DATASOURCES) in its environment, and sends the GraphQL protocol over HTTP:
// GET /status, POST / (single or batch), POST /transaction/start, /transaction/<id>/commit|rollback,
// GET /metrics. This process serves that API with @prisma/query-engine-wasm (the same engine
// commit, compiled to WebAssembly) over @prisma/adapter-pg and the `pg` driver, translating each
// request to the JSON protocol (translate.mjs).
import fs from 'node:fs';
import http from 'node:http';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindAdapter } from '@prisma/driver-adapter-utils';
import { parseSchema, toGraphqlResponse, toJsonBody } from './translate.mjs';

export const ENGINE_COMMIT = '393aa359c9ad4a4bb28630fb5613f9c281cde053';
const TRACE = JSON.stringify({ traceparent: '00-10-10-00' });
// Result column types adapter-pg 5.17 cannot describe (it fails the whole query: "Failed to
// deserialize column of type 'Unknown'"): they reach the engine as their text form instead.
const SUPPORTED_OIDS = new Set([
  16, 17, 18, 20, 21, 23, 25, 26, 114, 142, 143, 199, 650, 651, 700, 701, 790, 791, 869, 1000, 1001, 1002,
  1005, 1007, 1009, 1014, 1015, 1016, 1021, 1022, 1028, 1041, 1042, 1043, 1082, 1083, 1114, 1115, 1182,
  1183, 1184, 1231, 1266, 1560, 1561, 1562, 1563, 1700, 2950, 2951, 3802, 3807,
]);

function log(level, message) {
  // prisma-client-py forwards the engine's stderr; RUST_LOG_FORMAT=json lines are what it expects.
  process.stderr.write(`${JSON.stringify({ level, fields: { message }, target: 'prisma-engine' })}\n`);
}

/** The connection URL prisma-client-py hands the engine: OVERWRITE_DATASOURCES, else DATABASE_URL. */
export function datasourceUrl(env, schemaText) {
  if (env.OVERWRITE_DATASOURCES) {
    const [first] = JSON.parse(env.OVERWRITE_DATASOURCES);
    if (first?.url) return first.url;
  }
  const m = schemaText.match(/datasource\s+\w+\s*\{[^}]*url\s*=\s*(?:env\("(\w+)"\)|"([^"]+)")/);
  const url = m ? (m[1] ? env[m[1]] : m[2]) : env.DATABASE_URL;
  if (!url) throw new Error('no database URL: set DATABASE_URL (the datasource url of schema.prisma)');
  return url;
}

/** pg Pool options from a Prisma-style PostgreSQL URL (connection_limit, pool_timeout, schema, ...). */
export function poolOptions(url) {
  const u = new URL(url);
  const q = u.searchParams;
  const options = { connectionString: url };
  if (q.get('connection_limit')) options.max = Number(q.get('connection_limit'));
  if (q.get('pool_timeout')) options.connectionTimeoutMillis = Number(q.get('pool_timeout')) * 1000;
  if (q.get('connect_timeout')) options.connectionTimeoutMillis = Number(q.get('connect_timeout')) * 1000;
  if (q.get('sslrootcert') || q.get('sslmode')) {
    const mode = q.get('sslmode') ?? 'prefer';
    // require: encrypted, server not verified (libpq's meaning); verify-ca / verify-full: checked
    // against sslrootcert. disable, allow and prefer: plain TCP (no opportunistic TLS here).
    if (['require', 'verify-ca', 'verify-full'].includes(mode)) {
      options.ssl = { rejectUnauthorized: mode !== 'require' };
      if (q.get('sslrootcert')) options.ssl.ca = fs.readFileSync(q.get('sslrootcert'), 'utf8');
      if (mode === 'verify-ca') options.ssl.checkServerIdentity = () => undefined;
    }
  }
  // pg reads sslmode itself as well; the options above are the authority.
  for (const key of ['connection_limit', 'pool_timeout', 'schema', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey',
    'pgbouncer', 'statement_cache_size', 'socket_timeout', 'sslaccept', 'connect_timeout']) {
    q.delete(key);
  }
  options.connectionString = u.toString();
  return { options, schema: new URL(url).searchParams.get('schema') ?? undefined };
}

// Every result column of a type adapter-pg cannot describe is read as text and reported as text.
// (pg.Pool#query calls client.query with a callback; adapter-pg's transactions call it without one.)
function textForUnsupported(client) {
  const query = client.query.bind(client);
  const fix = (result) => {
    for (const field of result?.fields ?? []) {
      if (!SUPPORTED_OIDS.has(field.dataTypeID) && field.dataTypeID < 10000) field.dataTypeID = 25;
    }
    return result;
  };
  client.query = (config, values, callback) => {
    if (typeof values === 'function') [values, callback] = [undefined, values];
    if (config === null || typeof config !== 'object' || typeof config.submit === 'function' || !config.types) {
      return query(config, values, callback);
    }
    const inner = config.types.getTypeParser;
    const types = {
      getTypeParser: (oid, format) => (SUPPORTED_OIDS.has(oid) || oid >= 10000 ? inner(oid, format) : (v) => v),
    };
    if (callback) return query({ ...config, types }, values, (err, result) => callback(err, err ? result : fix(result)));
    return query({ ...config, types }, values).then(fix);
  };
  return client;
}

async function loadEngine() {
  const dir = new URL('./node_modules/@prisma/query-engine-wasm/postgresql/', import.meta.url);
  const bg = await import(new URL('query_engine_bg.js', dir));
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(new URL('query_engine_bg.wasm', dir)), {
    './query_engine_bg.js': bg,
  });
  bg.__wbg_set_wasm(instance.exports);
  return bg;
}

export async function startEngine(env) {
  const schemaText = fs.readFileSync(env.PRISMA_DML_PATH, 'utf8');
  const schema = parseSchema(schemaText);
  const { options, schema: pgSchema } = poolOptions(datasourceUrl(env, schemaText));
  const pool = new pg.Pool(options);
  pool.on('connect', textForUnsupported);
  pool.on('error', (e) => log('ERROR', `idle database connection failed: ${e.message}`));
  const wasm = await loadEngine();
  const adapter = bindAdapter(new PrismaPg(pool, pgSchema ? { schema: pgSchema } : undefined));
  const engine = new wasm.QueryEngine(
    { datamodel: schemaText, logLevel: 'error', logQueries: false, env: {}, ignoreEnvVarErrors: true, datasourceOverrides: {}, configDir: '.', engineProtocol: 'json' },
    (line) => {
      // The engine logs JSON lines; only errors are kept (RUST_LOG=error, as prisma-client-py asks).
      if (/"level":"(ERROR|WARN)"/i.test(line)) process.stderr.write(`${line}\n`);
    },
    adapter,
  );
  await engine.connect(TRACE);
  return { engine, schema, pool };
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function engineError(message) {
  return { errors: [{ error: message, user_facing_error: { is_panic: false, message, meta: {}, error_code: 'P2010' } }] };
}

export function handler({ engine, schema }) {
  return async (req, res) => {
    try {
      const url = new URL(req.url, 'http://localhost');
      const body = await readBody(req);
      if (req.method === 'GET' && url.pathname === '/status') return send(res, 200, { status: 'ok' });
      if (url.pathname.startsWith('/metrics')) {
        return url.searchParams.get('format') === 'json'
          ? send(res, 200, { counters: [], gauges: [], histograms: [] })
          : send(res, 200, '', 'text/plain');
      }
      if (req.method === 'POST' && url.pathname === '/') {
        const tx = req.headers['x-transaction-id'];
        let request;
        try {
          request = toJsonBody(schema, JSON.parse(body));
        } catch (e) {
          return send(res, 200, engineError(`prisma-engine could not translate the query: ${e.message}`));
        }
        const answer = JSON.parse(await engine.query(JSON.stringify(request), TRACE, tx || undefined));
        return send(res, 200, toGraphqlResponse(answer));
      }
      const m = url.pathname.match(/^\/transaction\/(?:(start)|([^/]+)\/(commit|rollback))$/);
      if (req.method === 'POST' && m) {
        if (m[1]) return send(res, 200, await engine.startTransaction(body || '{}', TRACE));
        const out = m[3] === 'commit' ? await engine.commitTransaction(m[2], TRACE) : await engine.rollbackTransaction(m[2], TRACE);
        return send(res, 200, out || '{}');
      }
      return send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    } catch (e) {
      log('ERROR', e.stack ?? String(e));
      return send(res, 500, engineError(String(e.message ?? e)));
    }
  };
}

function portFrom(argv) {
  const i = argv.findIndex((a) => a === '-p' || a === '--port');
  return i >= 0 ? Number(argv[i + 1]) : Number(process.env.PORT ?? 0);
}

async function main(argv) {
  if (argv.includes('--version') || argv.includes('-V')) {
    process.stdout.write(`query-engine ${ENGINE_COMMIT}\n`);
    return;
  }
  const state = await startEngine(process.env);
  const port = portFrom(argv);
  const server = http.createServer(handler(state));
  server.keepAliveTimeout = 65000;
  // prisma-client-py connects to http://localhost:PORT: answer on both loopback families.
  server.listen(port, '127.0.0.1', () => log('INFO', `listening on 127.0.0.1:${port}`));
  const v6 = http.createServer(handler(state));
  v6.on('error', () => v6.close());
  v6.listen(port, '::1');
  const stop = async () => {
    server.close();
    v6.close();
    await state.engine.disconnect(TRACE).catch(() => {});
    await state.pool.end().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/server.mjs')) {
  main(process.argv.slice(2)).catch((e) => {
    log('ERROR', e.stack ?? String(e));
    process.exit(1);
  });
}
