// node --test: the GraphQL -> JSON protocol translation of roles/litellm/files/prisma-engine.
// The queries are written as prisma-client-py 0.15's QueryBuilder writes them (JSON-encoded literals).
import assert from 'node:assert/strict';
import test from 'node:test';
import {
  parseSchema, rawResult, splitAction, toGraphqlResponse, toJsonBody, toJsonQuery, untag,
} from '../../../roles/litellm/files/prisma-engine/translate.mjs';

const SCHEMA = parseSchema(`
datasource client {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}
// a comment with a brace }
model Team {
  team_id   String   @id @default(uuid())
  metadata  Json     @default("{}")
  created_at DateTime @default(now())
  keys      Key[]
}
model Key {
  token     String   @id
  expires   DateTime?
  spend     Float    @default(0.0)
  rpm_limit BigInt?
  metadata  Json     @default("{}")
  team_id   String?
  team      Team?    @relation(fields: [team_id], references: [team_id])
  @@index([team_id])
}
enum JobStatus {
  ACTIVE
  INACTIVE
}
`);

test('the schema parser reads fields past braces inside defaults and comments', () => {
  assert.deepEqual([...SCHEMA.models.keys()], ['Team', 'Key']);
  assert.equal(SCHEMA.models.get('Team').get('metadata').type, 'Json');
  assert.equal(SCHEMA.models.get('Team').get('keys').relation, 'Key');
  assert.equal(SCHEMA.models.get('Key').get('team').relation, 'Team');
  assert.ok(!SCHEMA.models.get('Key').has('@@index'));
  assert.ok(SCHEMA.enums.has('JobStatus'));
});

test('operation names split into action and model, OrThrow kept on the action', () => {
  assert.deepEqual(splitAction(SCHEMA, 'findUniqueKeyOrThrow'), { action: 'findUniqueOrThrow', model: 'Key' });
  assert.deepEqual(splitAction(SCHEMA, 'aggregateTeam'), { action: 'aggregate', model: 'Team' });
  assert.deepEqual(splitAction(SCHEMA, 'queryRaw'), { action: 'queryRaw', model: null });
  assert.throws(() => splitAction(SCHEMA, 'findUniqueNobody'), /unknown Prisma operation findUniqueNobody/);
});

test('a create tags Json, DateTime and nested relation values, leaves plain scalars alone', () => {
  const q = toJsonQuery(SCHEMA, `mutation {
  result: createOneKey
  (
    data: {
      token: "abc"
      spend: 0.5
      rpm_limit: 10
      metadata: "{\\"owner\\": \\"team-a\\"}"
      expires: "2027-01-01T00:00:00+00:00"
      team: {
        connect: {
          team_id: "t1"
        }
      }
    }
  )
  {
    token
    metadata
    team {
      team_id
      metadata
    }
  }
}`);
  assert.deepEqual(q, {
    modelName: 'Key',
    action: 'createOne',
    query: {
      arguments: {
        data: {
          token: 'abc',
          spend: 0.5,
          rpm_limit: 10,
          metadata: { $type: 'Json', value: '{"owner": "team-a"}' },
          expires: { $type: 'DateTime', value: '2027-01-01T00:00:00+00:00' },
          team: { connect: { team_id: 't1' } },
        },
      },
      selection: { token: true, metadata: true, team: { arguments: {}, selection: { team_id: true, metadata: true } } },
    },
  });
});

test('filters tag values under operators; orderBy and by are field names, not values', () => {
  const q = toJsonQuery(SCHEMA, `query {
  result: findManyKey
  (
    where: { expires: { gt: "2026-01-01T00:00:00+00:00" } OR: [{ team_id: "t1" }, { token: { in: ["a", "b"] } }] }
    orderBy: { expires: "desc" }
    take: 5
  )
  { token }
}`);
  assert.deepEqual(q.query.arguments, {
    where: {
      expires: { gt: { $type: 'DateTime', value: '2026-01-01T00:00:00+00:00' } },
      OR: [{ team_id: 't1' }, { token: { in: ['a', 'b'] } }],
    },
    orderBy: { expires: 'desc' },
    take: 5,
  });
  const g = toJsonQuery(SCHEMA, 'query { result: groupByKey(by: ["team_id"]) { team_id _sum { spend } } }');
  assert.deepEqual(g.query, {
    arguments: { by: ['team_id'] },
    selection: { team_id: true, _sum: { arguments: {}, selection: { spend: true } } },
  });
});

test('raw queries keep their JSON-text parameters and have no model', () => {
  const q = toJsonQuery(SCHEMA, 'mutation { result: queryRaw(query: "SELECT $1::int", parameters: "[1]") }');
  assert.deepEqual(q, { action: 'queryRaw', query: { arguments: { query: 'SELECT $1::int', parameters: '[1]' }, selection: {} } });
});

test('a transactional batch becomes a JSON batch with a transaction', () => {
  const body = toJsonBody(SCHEMA, {
    batch: [{ query: 'mutation { result: deleteManyKey(where: { team_id: "t1" }) { count } }', variables: {} }],
    transaction: true,
  });
  assert.deepEqual(body, {
    batch: [{ modelName: 'Key', action: 'deleteMany', query: { arguments: { where: { team_id: 't1' } }, selection: { count: true } } }],
    transaction: { isolationLevel: null },
  });
  assert.equal(toJsonBody(SCHEMA, { batch: [], transaction: false }).transaction, undefined);
});

test('answers lose their type tags and come back under the alias result', () => {
  const answer = toGraphqlResponse({
    data: { findFirstKey: { created: { $type: 'DateTime', value: '2026-01-01T00:00:00.000Z' }, metadata: { $type: 'Json', value: '{}' }, n: { $type: 'BigInt', value: '7' } } },
  });
  assert.deepEqual(answer, { data: { result: { created: '2026-01-01T00:00:00.000Z', metadata: '{}', n: '7' } } });
  assert.deepEqual(toGraphqlResponse({ batchResult: [{ data: { countKey: 1 } }, { errors: [{ error: 'x' }] }] }), {
    batchResult: [{ data: { result: 1 } }, { errors: [{ error: 'x' }] }],
  });
  const errors = [{ error: 'Unique constraint', user_facing_error: { error_code: 'P2002' } }];
  assert.deepEqual(toGraphqlResponse({ errors }), { errors });
  assert.deepEqual(untag([{ a: { $type: 'Decimal', value: '1.5' } }]), [{ a: '1.5' }]);
});

test('raw results give json columns as values, as the native engine does', () => {
  const raw = rawResult({ columns: ['m', 'ms', 'n'], types: ['json', 'json-array', 'int'], rows: [['{"a": 1}', ['[1]', 'null'], 3], [null, null, null]] });
  assert.deepEqual(raw.rows, [[{ a: 1 }, [[1], null], 3], [null, null, null]]);
  const answer = toGraphqlResponse({ data: { queryRaw: { columns: ['m'], types: ['json'], rows: [['{}']] } } });
  assert.deepEqual(answer.data.result.rows, [[{}]]);
});
