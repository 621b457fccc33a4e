import { crc32, deflateSync } from 'node:zlib';
import type { RawHeader } from '../support/raw-http';

/**
 * The bad-input table: every request the platform must refuse, with the status and code
 * docs/api.md documents for it. Built from a context because keys and ids exist only once
 * the platform runs; everything else is data.
 */

/** What the cases refer to: keys of tenant A (the caller) and of others, and model names. */
export interface CaseContext {
  readonly keys: {
    /** Tenant A, default scopes. */
    readonly tenant: string;
    /** Tenant A, `usage:read` only. */
    readonly usageOnly: string;
    /** Tenant A, `infer` only. */
    readonly inferOnly: string;
    /** Tenant A, expired. */
    readonly expired: string;
    /** Tenant A, revoked. */
    readonly revoked: string;
    /** A's real key id with a secret that is not its secret. */
    readonly wrongSecret: string;
    readonly admin: string;
  };
  readonly keyIds: {
    /** A key of A that the rotation cases aim at (every one of them is refused). */
    readonly target: string;
    readonly expired: string;
    readonly revoked: string;
  };
  readonly tenantId: string;
  readonly models: {
    /** Public, published: inputs a, b FP32 [-1, 3]; outputs sum, product. */
    readonly addMul: string;
    /** Public, published: one input and output per datatype, each [-1, -1]. */
    readonly allTypes: string;
    /** Private to tenant B, published. */
    readonly otherPrivate: string;
    /** Public, no version and no `prod` alias. */
    readonly unpublished: string;
    /** Public, published, with an image pipeline (PNG, JPEG, WebP; the default pixel limit). */
    readonly image: string;
  };
}

export interface BadInputCase {
  /** The kind of bad input; one batch per kind, with a health check after it. */
  readonly kind: string;
  readonly name: string;
  readonly method: string;
  /** Sent verbatim on the request line. */
  readonly path: string;
  readonly headers: readonly RawHeader[];
  readonly body?: string | Uint8Array;
  readonly status: number;
  /** The documented code; undefined for the gateway's own answers, which have none. */
  readonly code: string | undefined;
  /**
   * Counted in tenant A's usage as an error: an infer request with a valid key of A that
   * got past the JSON body and resolved a model version, then failed (docs/table-design.md).
   */
  readonly metered: boolean;
}

/** Codes of infer requests refused after the model version was resolved: metered as errors. */
const METERED_CODES = new Set([
  'invalid_request',
  'unknown_input',
  'missing_input',
  'duplicate_input',
  'datatype_mismatch',
  'shape_mismatch',
  'size_mismatch',
  'invalid_data',
  'unknown_output',
  'too_many_elements',
  'inference_failed',
]);

const MB = 1024 * 1024;
const KEY_ID = '0123456789abcdef';
const SECRET = 'A'.repeat(43);
const TEN_KB = 'a'.repeat(10 * 1024);

const bearer = (key: string): RawHeader => ['authorization', `Bearer ${key}`];
const json: RawHeader = ['content-type', 'application/json'];

/** A valid add-mul request, the base of most bodies. */
const ADD_MUL = {
  inputs: [
    { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
    { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 5, 6] },
  ],
};
const ADD_MUL_TEXT = JSON.stringify(ADD_MUL);

/** An add-mul body with input `a` replaced by (or merged with) `a`. */
function addMulWith(a: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    ...ADD_MUL,
    ...extra,
    inputs: [{ ...ADD_MUL.inputs[0], ...a }, ADD_MUL.inputs[1]],
  });
}

const ALL_TYPES_VALID: Readonly<Record<string, { datatype: string; data: unknown }>> = {
  in_bool: { datatype: 'BOOL', data: [[true]] },
  in_uint8: { datatype: 'UINT8', data: [[1]] },
  in_uint16: { datatype: 'UINT16', data: [[1]] },
  in_uint32: { datatype: 'UINT32', data: [[1]] },
  in_uint64: { datatype: 'UINT64', data: [[1]] },
  in_int8: { datatype: 'INT8', data: [[1]] },
  in_int16: { datatype: 'INT16', data: [[1]] },
  in_int32: { datatype: 'INT32', data: [[1]] },
  in_int64: { datatype: 'INT64', data: [[1]] },
  in_fp16: { datatype: 'FP16', data: [[1]] },
  in_fp32: { datatype: 'FP32', data: [[1]] },
  in_fp64: { datatype: 'FP64', data: [[1]] },
  in_bytes: { datatype: 'BYTES', data: [['x']] },
};

/** An all-types body, every input valid but `input`, which gets `data` as raw JSON text. */
function allTypesWith(input: string, dataJson: string, datatype?: string): string {
  const inputs = Object.entries(ALL_TYPES_VALID).map(([name, spec]) => {
    const data = name === input ? '@@DATA@@' : spec.data;
    return {
      name,
      shape: [1, 1],
      datatype: name === input ? (datatype ?? spec.datatype) : spec.datatype,
      data,
    };
  });
  return JSON.stringify({ inputs }).replace('"@@DATA@@"', dataJson);
}

export function badInputCases(ctx: CaseContext): BadInputCase[] {
  const cases: BadInputCase[] = [];
  const { keys, models } = ctx;
  const inferPath = (model: string = models.addMul) => `/v2/models/${model}/infer`;

  /** An infer request with the tenant's key (or `headers`), metered when the model resolved. */
  const infer = (
    kind: string,
    name: string,
    body: string | Uint8Array | undefined,
    status: number,
    code: string | undefined,
    options: { path?: string; headers?: readonly RawHeader[]; metered?: boolean } = {},
  ): void => {
    const headers = options.headers ?? [bearer(keys.tenant), json];
    cases.push({
      kind,
      name,
      method: 'POST',
      path: options.path ?? inferPath(),
      headers,
      body,
      status,
      code,
      metered: options.metered ?? (status === 400 && code !== undefined && METERED_CODES.has(code)),
    });
  };
  const request = (
    kind: string,
    name: string,
    method: string,
    path: string,
    headers: readonly RawHeader[],
    status: number,
    code: string | undefined,
    body?: string | Uint8Array,
  ): void => {
    cases.push({ kind, name, method, path, headers, body, status, code, metered: false });
  };
  const asTenant = [bearer(keys.tenant)];
  const asAdmin = [bearer(keys.admin)];
  const asAdminJson = [bearer(keys.admin), json];

  // 1. Malformed JSON.
  const malformed = [
    '{',
    '}',
    '{"inputs": [',
    '{"inputs": [}',
    "{'inputs': []}",
    '{"inputs": [],}',
    '{inputs: []}',
    '{"inputs": NaN}',
    '{"inputs": Infinity}',
    '{"inputs": -Infinity}',
    '{"inputs": []} trailing',
    '{"a": 1}{"b": 2}',
    'nul',
    'tru',
    '"unterminated',
    '{"inputs": [/* comment */]}',
    '{"inputs": [01]}',
    '{"inputs": [.5]}',
    '{"inputs": [1e]}',
    '{"inputs": [-]}',
    '{"id": "\u0001", "inputs": []}',
    '\u0000',
    'undefined',
    '<inputs/>',
  ];
  malformed.forEach((body, i) =>
    infer('malformed JSON', `#${i} ${JSON.stringify(body)}`, body, 400, 'invalid_json'),
  );

  // 2. Truncated JSON: a valid body cut anywhere is never JSON.
  for (const length of [
    1,
    2,
    5,
    10,
    11,
    12,
    20,
    33,
    47,
    60,
    75,
    90,
    ADD_MUL_TEXT.length - 2,
    ADD_MUL_TEXT.length - 1,
  ]) {
    infer('truncated JSON', `first ${length} bytes`, ADD_MUL_TEXT.slice(0, length), 400, 'invalid_json');
  }

  // 3. Empty and blank bodies.
  for (const [name, body] of [
    ['no body', undefined],
    ['empty', ''],
    ['a space', ' '],
    ['CRLF', '\r\n'],
    ['tabs', '\t\t'],
  ] as const) {
    infer('empty body', name, body, 400, 'invalid_json');
  }

  // 4. Bytes that are not UTF-8, where JSON structure is expected.
  const bytes = (...parts: (string | number[])[]): Uint8Array =>
    Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));
  for (const [name, body] of [
    ['0xff instead of a value', bytes('{"inputs": [', [0xff], ']}')],
    ['UTF-16LE body with BOM', bytes([0xff, 0xfe], Buffer.from('{"inputs":[]}', 'utf16le').toJSON().data)],
    ['overlong "/"', bytes('{"inputs": ', [0xc0, 0xaf], '}')],
    ['lone continuation bytes', bytes([0x80, 0x80, 0x80])],
    ['latin1 byte as a value', bytes('{"inputs": ', [0xe9], '}')],
  ] as const) {
    infer('not UTF-8', name, body, 400, 'invalid_json');
  }

  // 5. Wrong content types (refused before the model is resolved: not metered).
  for (const type of [
    'text/plain',
    'text/json',
    'text/html',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'application/xml',
    'application/json5',
    'application/json-seq',
    'application/javascript',
    'image/png',
    'json',
    'application/ json',
  ]) {
    infer('wrong content type', type, ADD_MUL_TEXT, 415, 'unsupported_media_type', {
      headers: [bearer(keys.tenant), ['content-type', type]],
    });
  }
  infer('wrong content type', 'none', ADD_MUL_TEXT, 415, 'unsupported_media_type', {
    headers: [bearer(keys.tenant)],
  });

  // 6. Missing fields.
  for (const [name, body, code] of [
    ['empty object', '{}', 'invalid_request'],
    ['inputs null', '{"inputs": null}', 'invalid_request'],
    ['inputs an object', '{"inputs": {}}', 'invalid_request'],
    ['inputs a string', '{"inputs": "a"}', 'invalid_request'],
    ['input without anything', '{"inputs": [{}]}', 'invalid_request'],
    ['input name null', addMulWith({ name: null }), 'invalid_request'],
    ['no shape', addMulWith({ shape: undefined }), 'invalid_request'],
    ['no datatype', addMulWith({ datatype: undefined }), 'invalid_request'],
    ['no data', addMulWith({ data: undefined }), 'invalid_request'],
    ['input b missing', JSON.stringify({ inputs: [ADD_MUL.inputs[0]] }), 'missing_input'],
    ['no inputs at all', '{"inputs": []}', 'missing_input'],
    ['output without name', JSON.stringify({ ...ADD_MUL, outputs: [{}] }), 'invalid_request'],
  ] as const) {
    infer('missing fields', name, body, 400, code);
  }

  // 7. Extra fields.
  for (const [name, body, code] of [
    ['unknown top-level field', JSON.stringify({ ...ADD_MUL, extra: 1 }), 'invalid_request'],
    ['gRPC raw_input_contents', JSON.stringify({ ...ADD_MUL, raw_input_contents: [] }), 'invalid_request'],
    ['unknown input field', addMulWith({ contents: { fp32_contents: [1, 2, 3] } }), 'invalid_request'],
    [
      'unknown output field',
      JSON.stringify({ ...ADD_MUL, outputs: [{ name: 'sum', x: 1 }] }),
      'invalid_request',
    ],
    [
      'unknown input',
      JSON.stringify({ inputs: [...ADD_MUL.inputs, { ...ADD_MUL.inputs[0], name: 'c' }] }),
      'unknown_input',
    ],
    [
      'duplicate input',
      JSON.stringify({ inputs: [...ADD_MUL.inputs, ADD_MUL.inputs[0]] }),
      'duplicate_input',
    ],
    ['unknown output', JSON.stringify({ ...ADD_MUL, outputs: [{ name: 'difference' }] }), 'unknown_output'],
    [
      'duplicate output',
      JSON.stringify({ ...ADD_MUL, outputs: [{ name: 'sum' }, { name: 'sum' }] }),
      'invalid_request',
    ],
    ['outputs not an array', JSON.stringify({ ...ADD_MUL, outputs: { name: 'sum' } }), 'invalid_request'],
    ['parameters a string', JSON.stringify({ ...ADD_MUL, parameters: 'fast' }), 'invalid_request'],
    ['input parameters an array', addMulWith({ parameters: [] }), 'invalid_request'],
    ['id a number', JSON.stringify({ ...ADD_MUL, id: 5 }), 'invalid_request'],
    [
      'classification output',
      JSON.stringify({ ...ADD_MUL, outputs: [{ name: 'sum', parameters: { classification: 2 } }] }),
      'invalid_request',
    ],
  ] as const) {
    infer('extra and unknown fields', name, body, 400, code);
  }

  // 8. Wrong datatypes.
  for (const [name, datatype, code] of [
    ['INT32 for FP32', 'INT32', 'datatype_mismatch'],
    ['lower case fp32', 'fp32', 'datatype_mismatch'],
    ['FP128', 'FP128', 'datatype_mismatch'],
    ['empty', '', 'datatype_mismatch'],
    ['trailing space', 'FP32 ', 'datatype_mismatch'],
    ['BYTES', 'BYTES', 'datatype_mismatch'],
    ['a number', 32, 'invalid_request'],
    ['null', null, 'invalid_request'],
    ['an array', ['FP32'], 'invalid_request'],
  ] as const) {
    infer('wrong datatype', name, addMulWith({ datatype }), 400, code);
  }
  infer(
    'wrong datatype',
    'INT64 for INT32 (all types)',
    allTypesWith('in_int32', '[[1]]', 'INT64'),
    400,
    'datatype_mismatch',
    {
      path: inferPath(models.allTypes),
    },
  );

  // 9. Shape mismatches.
  for (const [name, shape, code] of [
    ['rank 1', [3], 'shape_mismatch'],
    ['rank 3', [1, 3, 1], 'shape_mismatch'],
    ['rank 0', [], 'shape_mismatch'],
    ['fixed dimension differs', [1, 4], 'shape_mismatch'],
    ['negative dimension', [-1, 3], 'shape_mismatch'],
    ['fractional dimension', [1.5, 3], 'shape_mismatch'],
    ['string dimension', ['1', 3], 'shape_mismatch'],
    ['null dimension', [null, 3], 'shape_mismatch'],
    ['boolean dimension', [true, 3], 'shape_mismatch'],
    ['unsafe integer dimension', [2 ** 53 + 2, 3], 'shape_mismatch'],
    ['1e20 dimension', [1e20, 3], 'shape_mismatch'],
    ['shape a string', '1,3', 'invalid_request'],
    ['shape an object', { rows: 1 }, 'invalid_request'],
  ] as const) {
    infer('shape mismatch', name, addMulWith({ shape }), 400, code);
  }

  // 10. Size mismatches.
  for (const [name, data, code] of [
    ['too few values', [1, 2], 'size_mismatch'],
    ['too many values', [1, 2, 3, 4], 'size_mismatch'],
    ['no values', [], 'size_mismatch'],
    ['nested, inner too short', [[1, 2]], 'invalid_data'],
    [
      'nested, outer too long',
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      'invalid_data',
    ],
    ['a bare number', 5, 'invalid_data'],
    ['a string', '1,2,3', 'invalid_data'],
    ['an object', { 0: 1, 1: 2, 2: 3 }, 'invalid_data'],
    ['null', null, 'invalid_data'],
  ] as const) {
    infer('size mismatch', name, addMulWith({ data }), 400, code);
  }

  // 11. NaN and infinities where the datatype has none.
  const allTypes = { path: inferPath(models.allTypes) };
  for (const [input, data] of [
    ['in_int32', '[["NaN"]]'],
    ['in_int64', '[["Infinity"]]'],
    ['in_uint64', '[["-Infinity"]]'],
    ['in_uint8', '[["NaN"]]'],
    ['in_int8', '[[1e400]]'],
    ['in_uint32', '[[-1e400]]'],
    ['in_bool', '[["NaN"]]'],
    ['in_bytes', '[[1e400]]'],
    ['in_fp32', '[["nan"]]'],
    ['in_fp64', '[["Inf"]]'],
    ['in_fp16', '[["+Infinity"]]'],
    ['in_fp32', '[["1.5"]]'],
  ] as const) {
    infer(
      'NaN or Infinity not allowed',
      `${input} ${data}`,
      allTypesWith(input, data),
      400,
      'invalid_data',
      allTypes,
    );
  }
  infer(
    'NaN or Infinity not allowed',
    'NaN literal',
    allTypesWith('in_fp32', '[[NaN]]'),
    400,
    'invalid_json',
    allTypes,
  );

  // 12. Values out of range or of the wrong kind.
  for (const [input, data] of [
    ['in_int8', '[[128]]'],
    ['in_uint8', '[[-1]]'],
    ['in_uint16', '[[65536]]'],
    ['in_int32', '[[1.5]]'],
    ['in_int32', '[[2147483648]]'],
    ['in_int64', '[["9223372036854775808"]]'],
    ['in_int64', '[[9007199254740993]]'],
    ['in_int64', '[["0x10"]]'],
    ['in_int64', '[["1e3"]]'],
    ['in_int64', '[[""]]'],
    ['in_uint64', '[["-1"]]'],
    ['in_uint64', '[["184467440737095516150"]]'],
    ['in_bool', '[[1]]'],
    ['in_bool', '[["true"]]'],
    ['in_bytes', '[[1]]'],
    ['in_bytes', '[["\\ud800"]]'],
    ['in_bytes', '[[null]]'],
  ] as const) {
    infer(
      'value out of range or wrong kind',
      `${input} ${data}`,
      allTypesWith(input, data),
      400,
      'invalid_data',
      allTypes,
    );
  }

  // 13. Huge arrays: refused by the element cap or the size check, never allocated blindly.
  infer(
    'huge arrays',
    'shape of 18M elements',
    addMulWith({ shape: [6_000_000, 3], data: [] }),
    400,
    'too_many_elements',
  );
  infer(
    'huge arrays',
    'shape of 2^64 elements',
    addMulWith({ shape: [4294967296, 4294967296], data: [] }),
    400,
    'shape_mismatch',
  );
  infer(
    'huge arrays',
    'all-types shape over the cap',
    allTypesWith('in_uint8', '[]').replace(
      '"shape":[1,1],"datatype":"UINT8"',
      '"shape":[4096,4097],"datatype":"UINT8"',
    ),
    400,
    'too_many_elements',
    allTypes,
  );
  infer(
    'huge arrays',
    '1M values for 3',
    addMulWith({ data: new Array(1_000_000).fill(0) }),
    400,
    'size_mismatch',
  );
  infer(
    'huge arrays',
    '2.5M values (5 MB body) for 3',
    addMulWith({ data: new Array(2_500_000).fill(0) }),
    400,
    'size_mismatch',
  );

  // 14. Deep nesting (100,000 levels): parsed without recursion, never walked recursively.
  const deep = (inner = '') => `${'['.repeat(100_000)}${inner}${']'.repeat(100_000)}`;
  infer('deep nesting', 'body of 100k arrays', deep(), 400, 'invalid_request');
  infer('deep nesting', '100k unclosed arrays', '['.repeat(100_000), 400, 'invalid_json');
  infer('deep nesting', 'data 100k deep', ADD_MUL_TEXT.replace('[1,2,3]', deep('1')), 400, 'invalid_data');
  infer(
    'deep nesting',
    'shape 100k deep',
    ADD_MUL_TEXT.replace('"shape":[1,3]', `"shape":[${deep()},3]`),
    400,
    'shape_mismatch',
  );
  infer(
    'deep nesting',
    'id 100k deep',
    ADD_MUL_TEXT.replace('{"inputs"', `{"id":${deep()},"inputs"`),
    400,
    'invalid_request',
  );
  infer(
    'deep nesting',
    'name 100k deep',
    ADD_MUL_TEXT.replace('"name":"a"', `"name":${deep()}`),
    400,
    'invalid_request',
  );
  infer(
    'deep nesting',
    'outputs 100k deep',
    ADD_MUL_TEXT.replace('{"inputs"', `{"outputs":${deep()},"inputs"`),
    400,
    'invalid_request',
  );
  infer(
    'deep nesting',
    'parameters 100k deep, input b missing',
    `{"parameters":{"p":${deep()}},"inputs":[${JSON.stringify(ADD_MUL.inputs[0])}]}`,
    400,
    'missing_input',
  );
  infer(
    'deep nesting',
    'objects 100k deep',
    `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`,
    400,
    'invalid_request',
  );
  request(
    'deep nesting',
    'admin body 100k deep',
    'POST',
    '/admin/tenants',
    asAdminJson,
    400,
    'invalid_request',
    `{"name":${deep()}}`,
  );

  // 15. Bodies over the 6 MB limit: refused at the gateway, before any function runs.
  const padded = (bytes: number) => `{"inputs":[]}${' '.repeat(bytes - 13)}`;
  infer(
    'body size limit',
    'exactly 6 MB (accepted, then refused for its content)',
    padded(6 * MB),
    400,
    'missing_input',
  );
  infer('body size limit', '6 MB + 1 byte', padded(6 * MB + 1), 413, 'payload_too_large');
  infer('body size limit', '7 MB', padded(7 * MB), 413, 'payload_too_large');
  infer(
    'body size limit',
    '5 MB of octet-stream (base64 in the event: 6.7 MB)',
    'x'.repeat(5 * MB),
    413,
    'payload_too_large',
    {
      headers: [bearer(keys.tenant), ['content-type', 'application/octet-stream']],
    },
  );
  request(
    'body size limit',
    'admin body of 7 MB',
    'POST',
    '/admin/tenants',
    asAdminJson,
    413,
    'payload_too_large',
    `{"name":"${'x'.repeat(7 * MB)}"}`,
  );

  // 16. Base64 where it does not belong, and the binary extension.
  infer(
    'invalid base64 and binary data',
    'binary_data_size parameter',
    addMulWith({ parameters: { binary_data_size: 12 } }),
    400,
    'invalid_request',
  );
  infer(
    'invalid base64 and binary data',
    'binary_data output parameter',
    JSON.stringify({ ...ADD_MUL, outputs: [{ name: 'sum', parameters: { binary_data: true } }] }),
    400,
    'invalid_request',
  );
  infer(
    'invalid base64 and binary data',
    'base64 text as FP32 data',
    addMulWith({ data: 'AACAPwAAAEAAAEBA' }),
    400,
    'invalid_data',
  );
  infer(
    'invalid base64 and binary data',
    'Basic credentials that are not base64',
    ADD_MUL_TEXT,
    401,
    'malformed_authorization',
    {
      headers: [['authorization', 'Basic !!!not*base64==='], json],
    },
  );
  for (const char of ['+', '/', '=']) {
    infer(
      'invalid base64 and binary data',
      `key secret with "${char}" (base64, not base64url)`,
      ADD_MUL_TEXT,
      401,
      'malformed_key',
      {
        headers: [bearer(`igk_${KEY_ID}_${'A'.repeat(42)}${char}`), json],
      },
    );
  }

  // 17. Odd Unicode in model names (percent-encoded UTF-8): names that cannot exist are 404.
  const oddNames = [
    ['right-to-left override', '%E2%80%AEadd-mul'],
    ['right-to-left mark', 'add-mul%E2%80%8F'],
    ['zero-width space', 'add%E2%80%8B-mul'],
    ['byte order mark', '%EF%BB%BFadd-mul'],
    ['emoji', '%F0%9F%98%80'],
    ['ZWJ emoji sequence', '%F0%9F%91%A9%E2%80%8D%F0%9F%92%BB'],
    ['fullwidth letters', '%EF%BD%81%EF%BD%84%EF%BD%84-mul'],
    ['combining accent', 'a%CC%81dd-mul'],
    ['Cyrillic homoglyph', '%D0%B0dd-mul'],
    ['upper case', 'ADD-MUL'],
    ['trailing space', 'add-mul%20'],
    ['newline', 'add-mul%0A'],
  ];
  for (const [name, segment] of oddNames) {
    request(
      'odd Unicode in names',
      `metadata: ${name}`,
      'GET',
      `/v2/models/${segment}`,
      asTenant,
      404,
      'model_not_found',
    );
    infer('odd Unicode in names', `infer: ${name}`, ADD_MUL_TEXT, 404, 'model_not_found', {
      path: `/v2/models/${segment}/infer`,
    });
  }
  for (const [name, segment] of oddNames.slice(0, 4)) {
    request(
      'odd Unicode in names',
      `alias: ${name}`,
      'GET',
      `/v2/models/${models.addMul}/versions/${segment}`,
      asTenant,
      404,
      'version_not_found',
    );
  }

  // 18. Path traversal and escapes: the function routes exactly the path the gateway routed.
  for (const [name, path, status, code] of [
    ['..%2F to admin', '/v2/models/..%2F..%2Fadmin%2Ftenants', 404, 'route_not_found'],
    ['..%2F to usage', '/v2/models/x/..%2F..%2F..%2Fv1%2Fusage', 404, 'route_not_found'],
    ['plain ../', '/v2/health/../../v1/usage', 404, 'route_not_found'],
    ['./ segment', '/v2/./health/live', 404, 'route_not_found'],
    ['%2e%2e', '/v2/models/%2e%2e/ready', 404, 'route_not_found'],
    ['double-encoded ..%2F', '/v2/models/%252e%252e%252fadmin', 404, 'route_not_found'],
    ['backslashes', '/v2/models/a%5C..%5C..%5Cv1%5Cusage', 404, 'model_not_found'],
    ['NUL byte', '/v2/models/add-mul%00', 404, 'model_not_found'],
    ['double-encoded NUL', '/v2/models/add-mul%2500/ready', 404, 'model_not_found'],
    ['encoded #', '/v2/models/add-mul%23x/ready', 404, 'model_not_found'],
    ['lone %', '/v2/models/%25', 400, undefined],
    ['bad escape', '/v2/models/%ZZ', 400, undefined],
    ['empty segments', '//v2//models//add-mul', 404, 'route_not_found'],
    [
      'version ..%2F to usage',
      '/v2/models/add-mul/versions/..%2F..%2F..%2F..%2Fv1%2Fusage',
      404,
      'route_not_found',
    ],
  ] as const) {
    request('path traversal', name, 'GET', path, asTenant, status, code);
  }
  request(
    'path traversal',
    'admin tenant ..%2F',
    'GET',
    '/admin/tenants/..%2F..%2Fv1%2Fusage',
    asAdmin,
    404,
    'route_not_found',
  );
  infer('path traversal', 'encoded slash to infer, no body', undefined, 400, 'invalid_json', {
    path: '/v2/models/add-mul%2Finfer',
  });

  // 19. 10 KB names in every place a name goes.
  request('10 KB names', 'model metadata', 'GET', `/v2/models/${TEN_KB}`, asTenant, 404, 'model_not_found');
  request(
    '10 KB names',
    'model ready',
    'GET',
    `/v2/models/${TEN_KB}/ready`,
    asTenant,
    404,
    'model_not_found',
  );
  infer('10 KB names', 'model infer', ADD_MUL_TEXT, 404, 'model_not_found', {
    path: `/v2/models/${TEN_KB}/infer`,
  });
  request(
    '10 KB names',
    'version',
    'GET',
    `/v2/models/${models.addMul}/versions/${TEN_KB}`,
    asTenant,
    404,
    'version_not_found',
  );
  infer('10 KB names', 'version infer', ADD_MUL_TEXT, 404, 'version_not_found', {
    path: `/v2/models/${models.addMul}/versions/${TEN_KB}/infer`,
  });
  infer('10 KB names', 'input name', addMulWith({ name: TEN_KB }), 400, 'unknown_input');
  request('10 KB names', 'admin tenant', 'GET', `/admin/tenants/${TEN_KB}`, asAdmin, 404, 'tenant_not_found');
  request(
    '10 KB names',
    'admin key revoke',
    'POST',
    `/admin/keys/${TEN_KB}/revoke`,
    asAdmin,
    404,
    'key_not_found',
  );
  request(
    '10 KB names',
    'admin key rotate',
    'POST',
    `/admin/keys/${TEN_KB}/rotate`,
    asAdmin,
    404,
    'key_not_found',
  );
  request('10 KB names', 'admin model', 'GET', `/admin/models/${TEN_KB}`, asAdmin, 404, 'model_not_found');
  request(
    '10 KB names',
    'admin alias',
    'PUT',
    `/admin/models/${models.addMul}/aliases/${TEN_KB}`,
    asAdminJson,
    400,
    'invalid_alias',
    '{"version":"1"}',
  );
  request(
    '10 KB names',
    'admin keys of tenant',
    'GET',
    `/admin/keys?tenantId=${TEN_KB}`,
    asAdmin,
    400,
    'invalid_request',
  );
  request(
    '10 KB names',
    'admin usage of tenant',
    'GET',
    `/admin/usage?tenantId=${TEN_KB}`,
    asAdmin,
    400,
    'invalid_request',
  );
  request(
    '10 KB names',
    'tenant name',
    'POST',
    '/admin/tenants',
    asAdminJson,
    400,
    'invalid_request',
    JSON.stringify({ name: TEN_KB }),
  );
  request(
    '10 KB names',
    'model name',
    'POST',
    '/admin/models',
    asAdminJson,
    400,
    'invalid_request',
    JSON.stringify({ name: TEN_KB, visibility: 'public' }),
  );

  // 20. Malformed keys of every shape, on four routes that authenticate.
  const keyShapes: [string, RawHeader[], string][] = [
    ['no key', [], 'missing_key'],
    ['empty Authorization', [['authorization', '']], 'missing_key'],
    ['empty x-api-key', [['x-api-key', '']], 'missing_key'],
    ['blank x-api-key', [['x-api-key', '   ']], 'missing_key'],
    ['Bearer without a key', [['authorization', 'Bearer']], 'malformed_authorization'],
    ['Bearer and spaces', [['authorization', 'Bearer    ']], 'malformed_authorization'],
    [
      'two Bearers',
      [['authorization', `Bearer ${keys.tenant} Bearer ${keys.tenant}`]],
      'malformed_authorization',
    ],
    ['two Authorization headers', [bearer(keys.tenant), bearer(keys.tenant)], 'malformed_authorization'],
    ['Bearer glued to the key', [['authorization', `Bearer${keys.tenant}`]], 'malformed_authorization'],
    ['no scheme', [['authorization', keys.tenant]], 'malformed_authorization'],
    ['Token scheme', [['authorization', `Token ${keys.tenant}`]], 'malformed_authorization'],
    ['Basic scheme', [['authorization', 'Basic dXNlcjpwYXNz']], 'malformed_authorization'],
    [
      'bad Authorization wins over a good x-api-key',
      [
        ['authorization', 'Bearer a b'],
        ['x-api-key', keys.tenant],
      ],
      'malformed_authorization',
    ],
    ['prefix only', [bearer('igk_')], 'malformed_key'],
    ['no secret', [bearer(`igk_${KEY_ID}_`)], 'malformed_key'],
    ['secret one short', [bearer(`igk_${KEY_ID}_${SECRET.slice(1)}`)], 'malformed_key'],
    ['secret one long', [bearer(`igk_${KEY_ID}_${SECRET}A`)], 'malformed_key'],
    ['key id one short', [bearer(`igk_${KEY_ID.slice(1)}_${SECRET}`)], 'malformed_key'],
    ['upper-case key id', [bearer(`igk_${KEY_ID.toUpperCase()}_${SECRET}`)], 'malformed_key'],
    ['upper-case prefix', [bearer(`IGK_${KEY_ID}_${SECRET}`)], 'malformed_key'],
    ['dash separator', [bearer(`igk_${KEY_ID}-${SECRET}`)], 'malformed_key'],
    ['non-ASCII after a real key', [bearer(`${keys.tenant}é`)], 'malformed_key'],
    [
      'UTF-8 zero-width space inside a real key',
      [bearer(`${keys.tenant.slice(0, 30)}\u00e2\u0080\u008b${keys.tenant.slice(30)}`)],
      'malformed_key',
    ],
    ['x-api-key with Bearer', [['x-api-key', `Bearer ${keys.tenant}`]], 'malformed_key'],
    ['x-api-key garbage', [['x-api-key', 'hunter2']], 'malformed_key'],
    ['unknown key of the right shape', [bearer(`igk_${KEY_ID}_${SECRET}`)], 'invalid_key'],
    ['unknown key in x-api-key', [['x-api-key', `igk_${KEY_ID}_${SECRET}`]], 'invalid_key'],
    ['a real key id with a wrong secret', [bearer(keys.wrongSecret)], 'invalid_key'],
  ];
  for (const [name, headers, code] of keyShapes) {
    request('malformed keys', `metadata: ${name}`, 'GET', `/v2/models/${models.addMul}`, headers, 401, code);
    infer('malformed keys', `infer: ${name}`, ADD_MUL_TEXT, 401, code, { headers: [...headers, json] });
    request('malformed keys', `usage: ${name}`, 'GET', '/v1/usage', headers, 401, code);
    request('malformed keys', `admin: ${name}`, 'GET', '/admin/tenants', headers, 401, code);
  }

  // 21. The scheme is case-insensitive (RFC 9110): these keys authenticate, the bodies do not pass.
  for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
    infer('case of the Bearer scheme', scheme, '{"inputs":[]}', 400, 'missing_input', {
      headers: [['authorization', `${scheme} ${keys.tenant}`], json],
    });
  }

  // 22. Expired and revoked keys, on every tenant route and an admin one.
  const tenantRoutes: [string, string, string][] = [
    ['metadata', 'GET', `/v2/models/${models.addMul}`],
    ['ready', 'GET', `/v2/models/${models.addMul}/ready`],
    ['version metadata', 'GET', `/v2/models/${models.addMul}/versions/1`],
    ['infer', 'POST', inferPath()],
    ['version infer', 'POST', `/v2/models/${models.addMul}/versions/1/infer`],
    ['models', 'GET', '/v1/models'],
    ['usage', 'GET', '/v1/usage'],
    ['admin', 'GET', '/admin/tenants'],
  ];
  for (const [state, key, code] of [
    ['expired', keys.expired, 'key_expired'],
    ['revoked', keys.revoked, 'key_revoked'],
  ] as const) {
    for (const [name, method, path] of tenantRoutes) {
      const body = method === 'POST' ? ADD_MUL_TEXT : undefined;
      request(
        'expired and revoked keys',
        `${state}: ${name}`,
        method,
        path,
        [bearer(key), json],
        401,
        code,
        body,
      );
    }
  }

  // 23. Keys without the route's scope.
  for (const [name, key, method, path] of [
    ['usage-only key: metadata', keys.usageOnly, 'GET', `/v2/models/${models.addMul}`],
    ['usage-only key: ready', keys.usageOnly, 'GET', `/v2/models/${models.addMul}/ready`],
    ['usage-only key: infer', keys.usageOnly, 'POST', inferPath()],
    ['usage-only key: models', keys.usageOnly, 'GET', '/v1/models'],
    ['infer-only key: metadata', keys.inferOnly, 'GET', `/v2/models/${models.addMul}`],
    ['infer-only key: usage', keys.inferOnly, 'GET', '/v1/usage'],
    ['infer-only key: models', keys.inferOnly, 'GET', '/v1/models'],
  ] as const) {
    request(
      'insufficient scope',
      name,
      method,
      path,
      [bearer(key), json],
      403,
      'insufficient_scope',
      method === 'POST' ? ADD_MUL_TEXT : undefined,
    );
  }

  // 24. Another tenant's private model: exactly like no model at all, and never metered.
  for (const [name, method, path] of [
    ['metadata', 'GET', `/v2/models/${models.otherPrivate}`],
    ['ready', 'GET', `/v2/models/${models.otherPrivate}/ready`],
    ['infer', 'POST', `/v2/models/${models.otherPrivate}/infer`],
    ['version metadata', 'GET', `/v2/models/${models.otherPrivate}/versions/1`],
    ['alias metadata', 'GET', `/v2/models/${models.otherPrivate}/versions/prod`],
    ['version ready', 'GET', `/v2/models/${models.otherPrivate}/versions/1/ready`],
    ['version infer', 'POST', `/v2/models/${models.otherPrivate}/versions/1/infer`],
  ] as const) {
    request(
      "another tenant's private model",
      name,
      method,
      path,
      [bearer(keys.tenant), json],
      404,
      'model_not_found',
      method === 'POST' ? ADD_MUL_TEXT : undefined,
    );
  }

  // 25. Admin routes with a tenant key.
  const adminRoutes: [string, string][] = [
    ['POST', '/admin/tenants'],
    ['GET', '/admin/tenants'],
    ['GET', `/admin/tenants/${ctx.tenantId}`],
    ['POST', '/admin/keys'],
    ['GET', `/admin/keys?tenantId=${ctx.tenantId}`],
    ['POST', `/admin/keys/${ctx.keyIds.target}/revoke`],
    ['POST', `/admin/keys/${ctx.keyIds.target}/rotate`],
    ['POST', '/admin/uploads'],
    ['POST', '/admin/models'],
    ['GET', '/admin/models'],
    ['GET', `/admin/models/${models.addMul}`],
    ['POST', `/admin/models/${models.addMul}/versions`],
    ['GET', `/admin/models/${models.addMul}/versions`],
    ['PUT', `/admin/models/${models.addMul}/aliases/prod`],
    ['GET', '/admin/usage'],
  ];
  for (const [method, path] of adminRoutes) {
    const body = method === 'GET' ? undefined : '{"name":"x","version":"1"}';
    request(
      'admin routes with a tenant key',
      `${method} ${path}`,
      method,
      path,
      [bearer(keys.tenant), json],
      403,
      'insufficient_scope',
      body,
    );
  }

  // 26. Methods a path does not take.
  for (const [path, allowed] of [
    ['/v2/health/live', 'GET'],
    [`/v2/models/${models.addMul}`, 'GET'],
    [inferPath(), 'POST'],
    ['/v1/usage', 'GET'],
    ['/admin/tenants', 'POST'],
  ] as const) {
    for (const method of ['PATCH', 'OPTIONS', 'TRACE', 'DELETE', 'PUT', 'PROPFIND']) {
      if (method === allowed) continue;
      request('unknown methods', `${method} ${path}`, method, path, asTenant, 405, 'method_not_allowed');
    }
  }

  // 27. Routes that do not exist.
  for (const path of [
    '/',
    '/v3',
    '/v2/models',
    '/v2/models/',
    '/v2/health',
    `/v2/models/${models.addMul}/infer/extra`,
    '/v1/models/x',
    '/admin',
    '/admin/nothing',
    '/admin/tenants/x/keys',
    '/openapi.yaml',
    '/.env',
    '/favicon.ico',
  ]) {
    request('unknown routes', path, 'GET', path, asTenant, 404, 'route_not_found');
  }

  // 28. Odd query strings.
  for (const [query, code] of [
    ['month=2026-13', 'invalid_month'],
    ['month=2026-00', 'invalid_month'],
    ['month=2026-1', 'invalid_month'],
    ['month=26-01', 'invalid_month'],
    ['month=2026-01-01', 'invalid_month'],
    ['month=202601', 'invalid_month'],
    ['month=2026%2F01', 'invalid_month'],
    ['month=%00', 'invalid_month'],
    ['month=%D9%A2%D9%A0%D9%A2%D9%A6-%D9%A0%D9%A1', 'invalid_month'],
    [`month=${'9'.repeat(2000)}`, 'invalid_month'],
    ['month[]=x', 'invalid_request'],
    ['month[]=2026-01', 'invalid_request'],
    ['months=2026-01', 'invalid_request'],
    ['month=2026-01&month=2026-02', 'invalid_request'],
    [`tenantId=${ctx.tenantId}`, 'invalid_request'],
  ] as const) {
    request('odd query strings', `/v1/usage?${query}`, 'GET', `/v1/usage?${query}`, asTenant, 400, code);
  }
  request(
    'odd query strings',
    '/admin/usage?month=2026-13',
    'GET',
    '/admin/usage?month=2026-13',
    asAdmin,
    400,
    'invalid_month',
  );
  request(
    'odd query strings',
    '/admin/usage?foo=1',
    'GET',
    '/admin/usage?foo=1',
    asAdmin,
    400,
    'invalid_request',
  );
  request(
    'odd query strings',
    '/admin/keys without tenantId',
    'GET',
    '/admin/keys',
    asAdmin,
    400,
    'invalid_request',
  );

  // 29. Admin bodies that cannot be honoured.
  const future = '2999-01-01T00:00:00Z';
  for (const [name, method, path, body, status, code] of [
    ['tenant: empty object', 'POST', '/admin/tenants', '{}', 400, 'invalid_request'],
    ['tenant: blank name', 'POST', '/admin/tenants', '{"name":"   "}', 400, 'invalid_request'],
    ['tenant: number name', 'POST', '/admin/tenants', '{"name":123}', 400, 'invalid_request'],
    ['tenant: extra field', 'POST', '/admin/tenants', '{"name":"x","admin":true}', 400, 'invalid_request'],
    [
      'tenant: __proto__',
      'POST',
      '/admin/tenants',
      '{"name":"x","__proto__":{"admin":true}}',
      400,
      'invalid_request',
    ],
    ['tenant: array body', 'POST', '/admin/tenants', '[]', 400, 'invalid_request'],
    ['tenant: null body', 'POST', '/admin/tenants', 'null', 400, 'invalid_request'],
    [
      'key: empty scopes',
      'POST',
      '/admin/keys',
      JSON.stringify({ tenantId: ctx.tenantId, scopes: [] }),
      400,
      'invalid_request',
    ],
    [
      'key: unknown scope',
      'POST',
      '/admin/keys',
      JSON.stringify({ tenantId: ctx.tenantId, scopes: ['root'] }),
      400,
      'invalid_request',
    ],
    [
      'key: admin scope for a tenant',
      'POST',
      '/admin/keys',
      JSON.stringify({ tenantId: ctx.tenantId, scopes: ['admin'] }),
      400,
      'invalid_scope',
    ],
    [
      'key: operator without admin',
      'POST',
      '/admin/keys',
      JSON.stringify({ tenantId: 'operator', scopes: ['infer'] }),
      400,
      'invalid_scope',
    ],
    [
      'key: expiry not a date',
      'POST',
      '/admin/keys',
      JSON.stringify({ tenantId: ctx.tenantId, expiresAt: 'tomorrow' }),
      400,
      'invalid_request',
    ],
    [
      'key: month 13',
      'POST',
      '/admin/keys',
      JSON.stringify({ tenantId: ctx.tenantId, expiresAt: '2999-13-01T00:00:00Z' }),
      400,
      'invalid_request',
    ],
    [
      'key: expiry in the past',
      'POST',
      '/admin/keys',
      JSON.stringify({ tenantId: ctx.tenantId, expiresAt: '2000-01-01T00:00:00Z' }),
      400,
      'invalid_expiry',
    ],
    [
      'key: unknown tenant',
      'POST',
      '/admin/keys',
      JSON.stringify({ tenantId: 't_nobody' }),
      404,
      'tenant_not_found',
    ],
    [
      'model: upper-case name',
      'POST',
      '/admin/models',
      '{"name":"UPPER","visibility":"public"}',
      400,
      'invalid_request',
    ],
    [
      'model: traversal name',
      'POST',
      '/admin/models',
      '{"name":"../x","visibility":"public"}',
      400,
      'invalid_request',
    ],
    [
      'model: unknown visibility',
      'POST',
      '/admin/models',
      '{"name":"ok-name","visibility":"secret"}',
      400,
      'invalid_request',
    ],
    [
      'model: private without owner',
      'POST',
      '/admin/models',
      '{"name":"ok-name","visibility":"private"}',
      400,
      'owner_required',
    ],
    [
      'model: public with owner',
      'POST',
      '/admin/models',
      JSON.stringify({ name: 'ok-name', visibility: 'public', ownerTenantId: ctx.tenantId }),
      400,
      'invalid_request',
    ],
    [
      'model: private to nobody',
      'POST',
      '/admin/models',
      '{"name":"ok-name","visibility":"private","ownerTenantId":"t_nobody"}',
      404,
      'tenant_not_found',
    ],
    [
      'model: exists',
      'POST',
      '/admin/models',
      JSON.stringify({ name: models.addMul, visibility: 'public' }),
      409,
      'model_exists',
    ],
    [
      'version: no upload id',
      'POST',
      `/admin/models/${models.addMul}/versions`,
      '{}',
      400,
      'invalid_request',
    ],
    [
      'version: traversal upload id',
      'POST',
      `/admin/models/${models.addMul}/versions`,
      '{"uploadId":"../../etc/passwd"}',
      400,
      'invalid_request',
    ],
    [
      'version: unknown upload',
      'POST',
      `/admin/models/${models.addMul}/versions`,
      `{"uploadId":"${'0'.repeat(32)}"}`,
      400,
      'upload_not_found',
    ],
    [
      'version: unknown tier',
      'POST',
      `/admin/models/${models.addMul}/versions`,
      `{"uploadId":"${'0'.repeat(32)}","tier":"gpu"}`,
      400,
      'invalid_request',
    ],
    [
      'version: no such tier',
      'POST',
      `/admin/models/${models.addMul}/versions`,
      `{"uploadId":"${'0'.repeat(32)}","tier":"gpu"}`,
      400,
      'invalid_request',
    ],
    [
      'version: no such model',
      'POST',
      '/admin/models/no-such-model/versions',
      `{"uploadId":"${'0'.repeat(32)}"}`,
      404,
      'model_not_found',
    ],
    [
      'alias: version 0',
      'PUT',
      `/admin/models/${models.addMul}/aliases/prod`,
      '{"version":"0"}',
      400,
      'invalid_request',
    ],
    [
      'alias: version a number',
      'PUT',
      `/admin/models/${models.addMul}/aliases/prod`,
      '{"version":1}',
      400,
      'invalid_request',
    ],
    [
      'alias: no such version',
      'PUT',
      `/admin/models/${models.addMul}/aliases/prod`,
      '{"version":"99"}',
      404,
      'version_not_found',
    ],
    [
      'alias: numeric alias',
      'PUT',
      `/admin/models/${models.addMul}/aliases/123`,
      '{"version":"1"}',
      400,
      'invalid_alias',
    ],
    [
      'alias: upper-case alias',
      'PUT',
      `/admin/models/${models.addMul}/aliases/Prod`,
      '{"version":"1"}',
      400,
      'invalid_alias',
    ],
    ['upload: negative size', 'POST', '/admin/uploads', '{"size":-1}', 400, 'invalid_request'],
    ['upload: size a string', 'POST', '/admin/uploads', '{"size":"big"}', 400, 'invalid_request'],
    ['upload: 1 TB', 'POST', '/admin/uploads', '{"size":1000000000000}', 413, 'artifact_too_large'],
    [
      'rotate: negative overlap',
      'POST',
      `/admin/keys/${ctx.keyIds.target}/rotate`,
      '{"overlapSeconds":-1}',
      400,
      'invalid_request',
    ],
    [
      'rotate: overlap over 30 days',
      'POST',
      `/admin/keys/${ctx.keyIds.target}/rotate`,
      '{"overlapSeconds":2592001}',
      400,
      'invalid_request',
    ],
    [
      'rotate: fractional overlap',
      'POST',
      `/admin/keys/${ctx.keyIds.target}/rotate`,
      '{"overlapSeconds":1.5}',
      400,
      'invalid_request',
    ],
    [
      'rotate: overlap a string',
      'POST',
      `/admin/keys/${ctx.keyIds.target}/rotate`,
      '{"overlapSeconds":"60"}',
      400,
      'invalid_request',
    ],
    [
      'rotate: extra field',
      'POST',
      `/admin/keys/${ctx.keyIds.target}/rotate`,
      '{"scopes":["admin"]}',
      400,
      'invalid_request',
    ],
    [
      'rotate: new key expiring in the past',
      'POST',
      `/admin/keys/${ctx.keyIds.target}/rotate`,
      '{"expiresAt":"2000-01-01T00:00:00Z"}',
      400,
      'invalid_expiry',
    ],
    ['rotate: unknown key', 'POST', `/admin/keys/${KEY_ID}/rotate`, '{}', 404, 'key_not_found'],
    ['rotate: revoked key', 'POST', `/admin/keys/${ctx.keyIds.revoked}/rotate`, '{}', 409, 'key_inactive'],
    [
      'rotate: expired key',
      'POST',
      `/admin/keys/${ctx.keyIds.expired}/rotate`,
      `{"expiresAt":"${future}"}`,
      409,
      'key_inactive',
    ],
    ['revoke: unknown key', 'POST', `/admin/keys/${KEY_ID}/revoke`, undefined, 404, 'key_not_found'],
  ] as const) {
    request('admin bodies that cannot be honoured', name, method, path, asAdminJson, status, code, body);
  }

  // 30. Versions and aliases that cannot exist, and a model not published yet.
  for (const version of ['0', '01', '-1', '1.5', '99', '9999999999', 'PROD', '%20', 'prod%00']) {
    request(
      'unknown versions',
      `metadata of version ${version}`,
      'GET',
      `/v2/models/${models.addMul}/versions/${version}`,
      asTenant,
      404,
      'version_not_found',
    );
  }
  infer('unknown versions', 'infer version 99', ADD_MUL_TEXT, 404, 'version_not_found', {
    path: `/v2/models/${models.addMul}/versions/99/infer`,
  });
  request(
    'unknown versions',
    'unpublished: metadata',
    'GET',
    `/v2/models/${models.unpublished}`,
    asTenant,
    404,
    'model_not_published',
  );
  request(
    'unknown versions',
    'unpublished: ready',
    'GET',
    `/v2/models/${models.unpublished}/ready`,
    asTenant,
    404,
    'model_not_published',
  );
  infer('unknown versions', 'unpublished: infer', ADD_MUL_TEXT, 404, 'model_not_published', {
    path: inferPath(models.unpublished),
  });
  request(
    'unknown versions',
    'unpublished: version 1',
    'GET',
    `/v2/models/${models.unpublished}/versions/1`,
    asTenant,
    404,
    'version_not_found',
  );

  // 31. Broken images and invalid base64 on the predict route. Refusals while reading the
  // body come before the model resolves (not metered); the pipeline's refusals come after
  // (metered as errors of the image model).
  const predictPath = `/v1/models/${models.image}/predict`;
  const image = (
    name: string,
    body: string | Uint8Array | undefined,
    status: number,
    code: string,
    metered: boolean,
    contentType = 'image/png',
    kind = 'broken images',
  ): void => {
    infer(kind, name, body, status, code, {
      path: predictPath,
      headers: [bearer(keys.tenant), ['content-type', contentType]],
      metered,
    });
  };
  const whitePng = png(8, 4);
  const zeroWide = Buffer.from(whitePng);
  zeroWide.writeUInt32BE(0, 16);
  image(
    'valid signature, then text',
    Buffer.concat([whitePng.subarray(0, 8), Buffer.from('not a png')]),
    400,
    'invalid_image',
    true,
  );
  image('plain text', 'hello, world', 400, 'invalid_image', true);
  image('a JSON document', '{"image": 1}', 400, 'invalid_image', true);
  image('cut after the header', whitePng.subarray(0, 33), 400, 'invalid_image', true);
  image('cut in the pixel data', whitePng.subarray(0, whitePng.length - 20), 400, 'invalid_image', true);
  image('a JPEG start and nothing else', Uint8Array.of(0xff, 0xd8, 0xff, 0xe0), 400, 'invalid_image', true);
  image(
    'a WebP header and nothing else',
    Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'),
    400,
    'invalid_image',
    true,
  );
  image('a header declaring 0 x 4', zeroWide, 400, 'empty_image', true);
  image('an empty body', '', 400, 'empty_image', false);
  image('a GIF', 'GIF89a\x01\x00\x01\x00', 400, 'unsupported_image_type', true);
  image('a BMP', 'BM\x00\x00\x00\x00', 400, 'unsupported_image_type', true);
  image(
    'an SVG',
    '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
    400,
    'unsupported_image_type',
    true,
  );
  image('4097 x 4097 pixels', png(4097, 4097), 400, 'image_too_large', true);
  image('a GIF content type', whitePng, 415, 'unsupported_media_type', false, 'image/gif');
  image('octet-stream', whitePng, 415, 'unsupported_media_type', false, 'application/octet-stream');
  image('over 4 MiB', new Uint8Array(4 * MB + 1), 413, 'payload_too_large', false);
  const base64 = (name: string, value: unknown, code: string): void =>
    image(
      name,
      JSON.stringify({ image: value }),
      400,
      code,
      !['invalid_base64', 'empty_image', 'invalid_request'].includes(code),
      'application/json',
      'invalid base64 images',
    );
  base64('a character outside the alphabet', 'iVBORw0KGgo!', 'invalid_base64');
  base64('a length of 4n+1', 'iVBORw0KG', 'invalid_base64');
  base64('padding in the middle', 'iV==Rw0K', 'invalid_base64');
  base64('three padding characters', 'iVBORw===', 'invalid_base64');
  base64('both alphabets', 'iV+_Rw0K', 'invalid_base64');
  base64('percent-encoded', encodeURIComponent(Buffer.from(whitePng).toString('base64')), 'invalid_base64');
  base64('an empty string', '', 'empty_image');
  base64('a data URL without data', 'data:image/png;base64,', 'empty_image');
  base64('a number', 42, 'invalid_request');
  base64('null', null, 'invalid_request');
  base64('base64 of text', Buffer.from('hello, world').toString('base64'), 'invalid_image');
  base64('base64 of half a PNG', Buffer.from(whitePng.subarray(0, 40)).toString('base64'), 'invalid_image');

  return cases;
}

/** A white 8-bit gray PNG of `width` × `height`, encoded here (solid rows deflate to almost nothing). */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit gray, deflate, no filter method, no interlace
  // Each row: filter type 0, then `width` white pixels.
  const row = Buffer.alloc(width + 1, 0xff);
  row[0] = 0;
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
