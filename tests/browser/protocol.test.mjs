// web/protocol.js against every vector of tests/data/protocol-vectors.json:
// each frame decodes to its fields and its fields encode to the same bytes;
// each invalid input is refused with the error the server gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import * as proto from '../../web/protocol.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const vectorsText = readFileSync(path.join(here, '../data/protocol-vectors.json'), 'utf8');
// u64 values such as the epoch do not fit a double: keep long integers as
// strings (JSON.parse would round them), compare everything as strings.
const vectors = JSON.parse(vectorsText.replace(/([:\[,]\s*)(\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));

const fromHex = (hex) => Uint8Array.from(hex.match(/../g).map((b) => parseInt(b, 16)));
const toHex = (bytes) => Buffer.from(bytes).toString('hex');

// The vectors write ROOM_LIST rooms as [room, members] pairs; the codec as objects.
function codecFields(v) {
  const f = { ...v.fields };
  if (Array.isArray(f.rooms)) f.rooms = f.rooms.map(([room, members]) => ({ room, members }));
  return f;
}

// Deep copy with every number and BigInt as a decimal string.
function normal(x) {
  if (typeof x === 'bigint' || typeof x === 'number') return String(x);
  if (Array.isArray(x)) return x.map(normal);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, normal(v)]));
  return x;
}

test('the vectors cover every message type', () => {
  const types = new Set(vectors.frames.map((v) => v.type));
  for (const [name, type] of Object.entries(proto.Type)) assert.ok(types.has(type), `no vector for ${name}`);
});

for (const v of vectors.frames) {
  test(`decode ${v.name}`, () => {
    const reader = new proto.FrameReader();
    const frames = reader.push(fromHex(v.hex));
    assert.equal(frames.length, 1);
    assert.equal(frames[0].type, v.type);
    assert.equal(reader.buffered, 0);
    const fields = proto.decodePayload(frames[0].type, frames[0].payload);
    assert.deepEqual(normal(fields), normal(codecFields(v)));
  });

  test(`encode ${v.name}`, () => {
    const f = codecFields(v);
    // u64 strings from the JSON become BigInt.
    for (const k of Object.keys(f)) if (typeof f[k] === 'string' && /^\d{16,}$/.test(f[k])) f[k] = BigInt(f[k]);
    assert.equal(toHex(proto.encode(v.type, f)), v.hex);
  });
}

test('frames reassemble from one byte at a time, and several from one chunk', () => {
  const all = vectors.frames.map((v) => fromHex(v.hex));
  const stream = Buffer.concat(all);
  const reader = new proto.FrameReader();
  const got = [];
  for (const b of stream) got.push(...reader.push(Uint8Array.of(b)));
  assert.equal(got.length, all.length);
  got.forEach((f, i) => assert.equal(f.type, vectors.frames[i].type));
  const once = new proto.FrameReader().push(new Uint8Array(stream));
  assert.equal(once.length, all.length);
});

const expectedCode = (expect) => expect.match(/\b(BAD_FRAME|FRAME_TOO_LARGE|UNKNOWN_TYPE|MALFORMED|INVALID_NAME|INVALID_BODY)\b/)[1];

for (const v of vectors.invalid) {
  test(`invalid: ${v.name}`, () => {
    const code = expectedCode(v.expect);
    const bytes = fromHex(v.hex);
    const reader = new proto.FrameReader(proto.DEFAULT_MAX_FRAME);
    if (code === 'BAD_FRAME' || code === 'FRAME_TOO_LARGE') {
      assert.throws(() => reader.push(bytes), (e) => e instanceof proto.ProtocolError && e.code === code);
      return;
    }
    const frames = reader.push(bytes);
    assert.equal(frames.length, 1);
    assert.throws(
      () => proto.decodePayload(frames[0].type, frames[0].payload),
      (e) => e instanceof proto.ProtocolError && e.code === code,
    );
    const req = v.expect.match(/req (\d+)/);
    if (req && !v.expect.includes('(or 0)')) {
      try {
        proto.decodePayload(frames[0].type, frames[0].payload);
      } catch (e) {
        assert.equal(e.req, Number(req[1]));
      }
    }
  });
}

test('an oversized header is refused before its payload arrives', () => {
  const reader = new proto.FrameReader(100);
  assert.throws(() => reader.push(fromHex('caf0010600000065')), (e) => e.code === 'FRAME_TOO_LARGE');
});

test('names and bodies are checked as the server checks them', () => {
  for (const ok of ['ana', 'é', 'a'.repeat(64), 'x\u00a0y', '🌍']) assert.ok(proto.validName(ok), ok);
  for (const bad of ['', 'a b', 'a\tb', 'a\u007fb', 'a'.repeat(65), '\ud800', 'é'.repeat(33)]) {
    assert.ok(!proto.validName(bad), JSON.stringify(bad));
  }
  assert.ok(proto.validBody('hi'));
  assert.ok(!proto.validBody(''));
  assert.ok(!proto.validBody('x'.repeat(4097)));
  assert.ok(proto.validBody('x'.repeat(4096)));
  assert.ok(!proto.validBody('\udc00'));
});

test('a BOM and other UTF-8 survive a round trip', () => {
  const body = '\ufeffhé 🌍';
  const frame = proto.encode(proto.Type.SAY, { req: 1, room: 'r', body });
  const [f] = new proto.FrameReader().push(frame);
  assert.equal(proto.decodePayload(f.type, f.payload).body, body);
});

test('an invalid UTF-8 name is INVALID_NAME, an invalid server string MALFORMED', () => {
  const bad = Uint8Array.of(0, 0, 0, 2, 2, 0xc3, 0x28);
  assert.throws(() => proto.decodePayload(proto.Type.JOIN, bad), (e) => e.code === 'INVALID_NAME' && e.req === 2);
  const okReply = Uint8Array.of(0, 0, 0, 1, 0, 9, 0, 2, 0xc3, 0x28);
  assert.throws(() => proto.decodePayload(proto.Type.ERROR, okReply), (e) => e.code === 'MALFORMED');
});

test('encoding refuses values that do not fit', () => {
  assert.throws(() => proto.encode(proto.Type.OK, { req: 2 ** 32 }), RangeError);
  assert.throws(() => proto.encode(proto.Type.JOIN, { req: 1, room: 'x'.repeat(256) }), RangeError);
  assert.throws(() => proto.encode(proto.Type.JOIN, { req: 1 }), TypeError);
});
