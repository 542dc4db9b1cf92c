// node --test: how the engine process reads its database settings (roles/litellm/files/prisma-engine/server.mjs).
import assert from 'node:assert/strict';
import test from 'node:test';
import { datasourceUrl, ENGINE_COMMIT, poolOptions } from '../../../roles/litellm/files/prisma-engine/server.mjs';

const SCHEMA = 'datasource client {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n';

test('the engine reports the commit prisma-client-py 0.15 expects', () => {
  assert.equal(ENGINE_COMMIT, '393aa359c9ad4a4bb28630fb5613f9c281cde053');
});

test('OVERWRITE_DATASOURCES wins over the env var the schema names', () => {
  const env = { DATABASE_URL: 'postgresql://a@h/db1', OVERWRITE_DATASOURCES: '[{"name":"client","url":"postgresql://b@h/db2"}]' };
  assert.equal(datasourceUrl(env, SCHEMA), 'postgresql://b@h/db2');
  assert.equal(datasourceUrl({ DATABASE_URL: 'postgresql://a@h/db1' }, SCHEMA), 'postgresql://a@h/db1');
  assert.equal(datasourceUrl({ OTHER: 'postgresql://c@h/db3' }, SCHEMA.replace('DATABASE_URL', 'OTHER')), 'postgresql://c@h/db3');
  assert.throws(() => datasourceUrl({}, SCHEMA), /no database URL: set DATABASE_URL/);
});

test("Prisma's URL parameters become pool settings and leave the URL pg parses", () => {
  const { options, schema } = poolOptions(
    'postgresql://u:p%40ss@db.example:5432/litellm?connection_limit=7&pool_timeout=20&schema=tenant&sslmode=require',
  );
  assert.equal(options.max, 7);
  assert.equal(options.connectionTimeoutMillis, 20000);
  assert.equal(schema, 'tenant');
  assert.deepEqual(options.ssl, { rejectUnauthorized: false }, 'require: encrypted, server not verified (libpq semantics)');
  assert.equal(options.connectionString, 'postgresql://u:p%40ss@db.example:5432/litellm');
});

test('verify-full checks the server certificate against the given CA; no sslmode means no TLS options', () => {
  assert.equal(poolOptions('postgresql://u@h/db?sslmode=verify-full').options.ssl.rejectUnauthorized, true);
  assert.equal(poolOptions('postgresql://u@h/db').options.ssl, undefined);
});
