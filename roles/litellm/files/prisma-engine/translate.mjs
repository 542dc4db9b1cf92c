// Translation between the Prisma engine's two request protocols, without I/O.
//
// prisma-client-py 0.15 (LiteLLM's database client) speaks the GraphQL protocol to a query engine
// process over HTTP. The engine that registries ship for the pinned commit is
// @prisma/query-engine-wasm, which accepts the JSON protocol only. These functions turn one into
// the other and turn the JSON protocol's answers back into what the GraphQL protocol answers.
import { Kind, parse } from 'graphql';

const ACTIONS = [
  'findUnique', 'findFirst', 'findMany', 'createOne', 'createMany', 'updateOne', 'updateMany',
  'deleteOne', 'deleteMany', 'upsertOne', 'aggregate', 'groupBy',
];
const RAW_ACTIONS = new Set(['queryRaw', 'executeRaw']);
// Scalar types whose values the JSON protocol wants tagged as {"$type": T, "value": v}.
const TAGGED = new Set(['Json', 'DateTime', 'BigInt', 'Decimal', 'Bytes']);
// Keys under a Json field that are not Json values (filter options).
const JSON_FILTER_PLAIN = new Set(['path', 'mode', 'string_contains', 'string_starts_with', 'string_ends_with']);
// Arguments that hold field names or sort orders, never values.
const UNTAGGED_ARGUMENTS = new Set(['orderBy', 'by', 'distinct']);

/** Models, their fields' types and relations, read from a schema.prisma text. */
export function parseSchema(text) {
  const models = new Map();
  const enums = new Set();
  let current = null;
  // Blocks end at a line holding only "}": field lines may contain braces (@default("{}")).
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    const open = line.match(/^(model|enum|view|type)\s+(\w+)\s*\{$/);
    if (open) {
      if (open[1] === 'enum') enums.add(open[2]);
      current = open[1] === 'enum' ? null : new Map();
      if (current) models.set(open[2], current);
      continue;
    }
    if (line === '}') {
      current = null;
      continue;
    }
    const m = current && line.match(/^(\w+)\s+(\w+)(\[\])?(\?)?/);
    if (m) current.set(m[1], { type: m[2], list: Boolean(m[3]) });
  }
  for (const fields of models.values()) {
    for (const field of fields.values()) field.relation = models.has(field.type) ? field.type : null;
  }
  return { models, enums };
}

/** The JSON value of a GraphQL literal (prisma-client-py writes JSON-encoded literals only). */
export function literal(node) {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.BOOLEAN:
      return node.value;
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map(literal);
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literal(f.value)]));
    default:
      throw new Error(`unsupported GraphQL value kind ${node.kind}`);
  }
}

function tag(type, value) {
  if (value === null || typeof value !== 'string') return value;
  return { $type: type, value };
}

// Tag the values of the schema's special scalars inside `value`, in the context of `model`.
function tagScalars(schema, model, value) {
  if (Array.isArray(value)) return value.map((v) => tagScalars(schema, model, v));
  if (value === null || typeof value !== 'object') return value;
  const fields = schema.models.get(model) ?? new Map();
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    const field = fields.get(key);
    if (field?.relation) out[key] = tagScalars(schema, field.relation, v);
    else if (field && TAGGED.has(field.type)) out[key] = tagField(field.type, v);
    else if (field) out[key] = v;
    else out[key] = tagScalars(schema, model, v); // operators (AND, set, connect, ...) and compound keys
  }
  return out;
}

// A value given for a field of a tagged type: direct, a list, or an operator object ({gt: v}, {set: v}).
function tagField(type, v) {
  if (Array.isArray(v)) return v.map((x) => tag(type, x));
  if (v === null || typeof v !== 'object') return tag(type, v);
  const out = {};
  for (const [op, x] of Object.entries(v)) {
    if (type === 'Json' && JSON_FILTER_PLAIN.has(op)) out[op] = x;
    else out[op] = Array.isArray(x) ? x.map((y) => tag(type, y)) : tag(type, x);
  }
  return out;
}

function argumentsOf(schema, model, node) {
  const args = {};
  for (const a of node.arguments ?? []) {
    const value = literal(a.value);
    args[a.name.value] = model && !UNTAGGED_ARGUMENTS.has(a.name.value) ? tagScalars(schema, model, value) : value;
  }
  return args;
}

function selectionOf(schema, model, selectionSet) {
  const selection = {};
  for (const node of selectionSet?.selections ?? []) {
    if (node.kind !== Kind.FIELD) throw new Error(`unsupported GraphQL selection ${node.kind}`);
    const name = node.name.value;
    if (!node.selectionSet && !(node.arguments ?? []).length) {
      selection[name] = true;
      continue;
    }
    const related = schema.models.get(model)?.get(name)?.relation ?? model;
    selection[name] = {
      arguments: argumentsOf(schema, related, node),
      selection: selectionOf(schema, related, node.selectionSet),
    };
  }
  return selection;
}

/** The model and action a GraphQL field name such as findUniqueLiteLLM_TeamTableOrThrow names. */
export function splitAction(schema, fieldName) {
  if (RAW_ACTIONS.has(fieldName)) return { action: fieldName, model: null };
  for (const action of ACTIONS) {
    if (!fieldName.startsWith(action)) continue;
    let model = fieldName.slice(action.length);
    let orThrow = '';
    if (!schema.models.has(model) && model.endsWith('OrThrow')) {
      model = model.slice(0, -'OrThrow'.length);
      orThrow = 'OrThrow';
    }
    if (schema.models.has(model)) return { action: action + orThrow, model };
  }
  throw new Error(`unknown Prisma operation ${fieldName}`);
}

/** One GraphQL-protocol query document -> one JSON-protocol query object. */
export function toJsonQuery(schema, document) {
  const ast = parse(document);
  const operation = ast.definitions[0];
  const fields = operation.selectionSet.selections;
  if (ast.definitions.length !== 1 || fields.length !== 1) {
    throw new Error('expected one operation with one root field');
  }
  const root = fields[0];
  const { action, model } = splitAction(schema, root.name.value);
  const query = { arguments: argumentsOf(schema, model, root), selection: selectionOf(schema, model, root.selectionSet) };
  return model ? { modelName: model, action, query } : { action, query };
}

/** A GraphQL-protocol request body (single or batch) -> the JSON-protocol body. */
export function toJsonBody(schema, body) {
  if (Array.isArray(body.batch)) {
    const out = { batch: body.batch.map((q) => toJsonQuery(schema, q.query)) };
    if (body.transaction) out.transaction = { isolationLevel: body.isolation_level ?? null };
    return out;
  }
  return toJsonQuery(schema, body.query);
}

/** Drop the JSON protocol's type tags: {"$type": "DateTime", "value": "..."} -> "...". */
export function untag(value) {
  if (Array.isArray(value)) return value.map(untag);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 2 && typeof value.$type === 'string' && 'value' in value) return value.value;
  return Object.fromEntries(keys.map((k) => [k, untag(value[k])]));
}

function parseJson(value) {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** queryRaw's {columns, types, rows}: json columns as values, as the native engine gives them (not text). */
export function rawResult(result) {
  if (!result || !Array.isArray(result.types) || !Array.isArray(result.rows)) return result;
  const rows = result.rows.map((row) =>
    row.map((value, i) => {
      if (result.types[i] === 'json') return parseJson(value);
      if (result.types[i] === 'json-array' && Array.isArray(value)) return value.map(parseJson);
      return value;
    }),
  );
  return { ...result, rows };
}

function single(response) {
  if (response.errors) return { errors: response.errors };
  const data = response.data ?? {};
  const keys = Object.keys(data);
  if (keys.length !== 1) return { data: { result: untag(data) } };
  const value = untag(data[keys[0]]);
  return { data: { result: keys[0] === 'queryRaw' ? rawResult(value) : value } };
}

/** A JSON-protocol response -> the GraphQL protocol's, whose one root field is aliased `result`. */
export function toGraphqlResponse(response) {
  if (Array.isArray(response.batchResult)) return { batchResult: response.batchResult.map(single) };
  return single(response);
}
