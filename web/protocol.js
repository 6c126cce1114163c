// The chat wire protocol, version 1 (PROTOCOL.md): a pure codec with no I/O,
// shared by the page (session.js) and by the Node tests.
//
// Frames are Uint8Arrays. Integers are big-endian; u64 fields decode to
// BigInt and encode from BigInt or Number. Strings are UTF-8 (TextEncoder,
// and a fatal TextDecoder that keeps a BOM). Decoding checks what the server
// checks: exact payload length (MALFORMED), names (INVALID_NAME), bodies
// (INVALID_BODY), other strings' UTF-8 (MALFORMED).

export const MAGIC = 0xcaf0;
export const VERSION = 1;
export const HEADER_BYTES = 8;
export const MAX_NAME_BYTES = 64;
export const DEFAULT_MAX_FRAME = 65536;
export const DEFAULT_MAX_BODY = 4096;
export const MAX_HISTORY_ENTRIES = 100;

export const Type = Object.freeze({
  HELLO: 0x01, PING: 0x02, PONG: 0x03, JOIN: 0x04, LEAVE: 0x05, SAY: 0x06, WHISPER: 0x07,
  WHO: 0x08, ROOMS: 0x09, WATCH: 0x0a, UNWATCH: 0x0b, HISTORY: 0x0c, BYE: 0x0d,
  WELCOME: 0x41, OK: 0x42, ERROR: 0x43, ACK: 0x44, MESSAGE: 0x45, PRIVATE: 0x46,
  ROOM_EVENT: 0x47, PRESENCE: 0x48, MEMBERS: 0x49, ROOM_LIST: 0x4a, HISTORY_PAGE: 0x4b,
});
const TYPE_NAMES = new Map(Object.entries(Type).map(([name, type]) => [type, name]));
export function typeName(type) {
  return TYPE_NAMES.get(type) ?? `TYPE_0x${type.toString(16).padStart(2, '0')}`;
}

export const ErrorCode = Object.freeze({
  BAD_FRAME: 1, FRAME_TOO_LARGE: 2, UNKNOWN_TYPE: 3, MALFORMED: 4, NOT_LOGGED_IN: 5,
  AUTH_FAILED: 6, INVALID_NAME: 7, INVALID_BODY: 8, NOT_IN_ROOM: 9, NO_SUCH_USER: 10,
  RATE_LIMITED: 11, SLOW_CONSUMER: 12, IDLE_TIMEOUT: 13, TOO_MANY_ROOMS: 14,
  SHUTTING_DOWN: 15, ALREADY_LOGGED_IN: 16, SERVER_FULL: 17, LIMIT: 18, UNAVAILABLE: 19,
});
const ERROR_NAMES = new Map(Object.entries(ErrorCode).map(([name, code]) => [code, name]));
export function errorName(code) {
  return ERROR_NAMES.get(code) ?? `UNKNOWN(${code})`;
}

// A frame or payload the codec refuses. `code` is an ErrorCode name, `req`
// the request's req when it could be read (else 0).
export class ProtocolError extends Error {
  constructor(code, message, req = 0) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.req = req;
  }
}

// Field kinds: integers, `name` (str8, a valid name), `str8`/`str16` (UTF-8),
// `body` (str16, 1..max_body bytes of UTF-8), and the lists.
const SCHEMA = new Map([
  [Type.HELLO, [['req', 'u32'], ['client_id', 'u64'], ['user', 'name'], ['token', 'str16']]],
  [Type.PING, [['nonce', 'u64']]],
  [Type.PONG, [['nonce', 'u64']]],
  [Type.JOIN, [['req', 'u32'], ['room', 'name']]],
  [Type.LEAVE, [['req', 'u32'], ['room', 'name']]],
  [Type.SAY, [['req', 'u32'], ['room', 'name'], ['body', 'body']]],
  [Type.WHISPER, [['req', 'u32'], ['to', 'name'], ['body', 'body']]],
  [Type.WHO, [['req', 'u32'], ['room', 'name']]],
  [Type.ROOMS, [['req', 'u32']]],
  [Type.WATCH, [['req', 'u32'], ['users', 'names']]],
  [Type.UNWATCH, [['req', 'u32'], ['users', 'names']]],
  [Type.HISTORY, [['req', 'u32'], ['room', 'name'], ['after_seq', 'u64'], ['limit', 'u16']]],
  [Type.BYE, [['req', 'u32']]],
  [Type.WELCOME, [['req', 'u32'], ['session', 'u64'], ['time', 'u64'], ['heartbeat', 'u16'],
    ['timeout', 'u16'], ['max_frame', 'u32'], ['user', 'str8'], ['epoch', 'u64']]],
  [Type.OK, [['req', 'u32']]],
  [Type.ERROR, [['req', 'u32'], ['code', 'u16'], ['text', 'str16']]],
  [Type.ACK, [['req', 'u32'], ['id', 'u64'], ['time', 'u64']]],
  [Type.MESSAGE, [['room', 'str8'], ['seq', 'u64'], ['time', 'u64'], ['from', 'str8'],
    ['body', 'str16']]],
  [Type.PRIVATE, [['id', 'u64'], ['time', 'u64'], ['from', 'str8'], ['to', 'str8'],
    ['body', 'str16']]],
  [Type.ROOM_EVENT, [['room', 'str8'], ['kind', 'u8'], ['user', 'str8'], ['time', 'u64']]],
  [Type.PRESENCE, [['user', 'str8'], ['online', 'u8'], ['time', 'u64']]],
  [Type.MEMBERS, [['req', 'u32'], ['room', 'str8'], ['total', 'u32'], ['users', 'strs']]],
  [Type.ROOM_LIST, [['req', 'u32'], ['total', 'u32'], ['rooms', 'rooms']]],
  [Type.HISTORY_PAGE, [['req', 'u32'], ['room', 'str8'], ['messages', 'entries'], ['more', 'u8']]],
]);

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8Bytes(s) {
  return encoder.encode(s);
}

// PROTOCOL.md section 1: 1..64 bytes of UTF-8, nothing at or below U+0020
// nor U+007F (other spaces, such as U+00A0, pass as on the server).
export function validName(name) {
  if (typeof name !== 'string' || !isWellFormed(name)) return false;
  const bytes = encoder.encode(name);
  if (bytes.length < 1 || bytes.length > MAX_NAME_BYTES) return false;
  return bytes.every((b) => b > 0x20 && b !== 0x7f);
}

// A lone surrogate cannot be sent as UTF-8 (TextEncoder would replace it).
function isWellFormed(s) {
  return typeof s.isWellFormed === 'function' ? s.isWellFormed() : !/[\ud800-\udfff]/u.test(s);
}

export function validBody(body, maxBody = DEFAULT_MAX_BODY) {
  if (typeof body !== 'string' || body.length === 0 || !isWellFormed(body)) return false;
  return encoder.encode(body).length <= maxBody;
}

// ---- encoding ----

class Writer {
  constructor() {
    this.parts = [];
    this.size = 0;
  }
  bytes(b) {
    this.parts.push(b);
    this.size += b.length;
  }
  int(width, value) {
    const b = new Uint8Array(width);
    let v = BigInt(value);
    if (v < 0n || v >= 1n << BigInt(width * 8)) throw new RangeError(`${value} does not fit u${width * 8}`);
    for (let i = width - 1; i >= 0; i--, v >>= 8n) b[i] = Number(v & 0xffn);
    this.bytes(b);
  }
  str(lengthWidth, s) {
    const b = encoder.encode(s);
    if (b.length >= 1 << (lengthWidth * 8)) throw new RangeError(`string of ${b.length} bytes too long`);
    this.int(lengthWidth, b.length);
    this.bytes(b);
  }
  finish() {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

const INT_WIDTH = { u8: 1, u16: 2, u32: 4, u64: 8 };

function writeField(w, kind, value) {
  if (kind in INT_WIDTH) return w.int(INT_WIDTH[kind], value);
  switch (kind) {
    case 'name':
    case 'str8':
      return w.str(1, value);
    case 'str16':
    case 'body':
      return w.str(2, value);
    case 'names':
    case 'strs':
      w.int(2, value.length);
      for (const s of value) w.str(1, s);
      return undefined;
    case 'rooms':
      w.int(2, value.length);
      for (const r of value) {
        w.str(1, r.room);
        w.int(4, r.members);
      }
      return undefined;
    case 'entries':
      w.int(2, value.length);
      for (const e of value) {
        w.int(8, e.seq);
        w.int(8, e.time);
        w.str(1, e.from);
        w.str(2, e.body);
      }
      return undefined;
    default:
      throw new Error(`unknown field kind ${kind}`);
  }
}

// A whole frame (header and payload) of `type` with `fields` named as in
// PROTOCOL.md section 3 (lists: `users`, `rooms` [{room, members}],
// `messages` [{seq, time, from, body}]).
export function encode(type, fields) {
  const schema = SCHEMA.get(type);
  if (!schema) throw new RangeError(`unknown type ${type}`);
  const w = new Writer();
  for (const [name, kind] of schema) {
    if (fields[name] === undefined) throw new TypeError(`${typeName(type)}: missing ${name}`);
    writeField(w, kind, fields[name]);
  }
  const payload = w.finish();
  const frame = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(frame.buffer);
  view.setUint16(0, MAGIC);
  view.setUint8(2, VERSION);
  view.setUint8(3, type);
  view.setUint32(4, payload.length);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

// ---- decoding ----

const TRUNCATED = Symbol('truncated');

class Reader {
  constructor(payload) {
    this.b = payload;
    this.view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    this.at = 0;
  }
  need(n) {
    if (this.at + n > this.b.length) throw TRUNCATED;
  }
  int(width) {
    this.need(width);
    const at = this.at;
    this.at += width;
    switch (width) {
      case 1: return this.view.getUint8(at);
      case 2: return this.view.getUint16(at);
      case 4: return this.view.getUint32(at);
      default: return this.view.getBigUint64(at);
    }
  }
  raw(lengthWidth) {
    const n = this.int(lengthWidth);
    this.need(n);
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}

// Reads the structure: integers as values, strings as raw bytes (checked later).
function readField(r, kind) {
  if (kind in INT_WIDTH) return r.int(INT_WIDTH[kind]);
  switch (kind) {
    case 'name':
    case 'str8':
      return r.raw(1);
    case 'str16':
    case 'body':
      return r.raw(2);
    case 'names':
    case 'strs': {
      const count = r.int(2);
      const out = [];
      for (let i = 0; i < count; i++) out.push(r.raw(1));
      return out;
    }
    case 'rooms': {
      const count = r.int(2);
      const out = [];
      for (let i = 0; i < count; i++) out.push({ room: r.raw(1), members: r.int(4) });
      return out;
    }
    case 'entries': {
      const count = r.int(2);
      const out = [];
      for (let i = 0; i < count; i++) {
        out.push({ seq: r.int(8), time: r.int(8), from: r.raw(1), body: r.raw(2) });
      }
      return out;
    }
    default:
      throw new Error(`unknown field kind ${kind}`);
  }
}

function text(bytes, code, what, req) {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new ProtocolError(code, `${what} is not valid UTF-8`, req);
  }
}

function checkName(bytes, what, req) {
  const s = text(bytes, 'INVALID_NAME', what, req);
  if (!validName(s)) throw new ProtocolError('INVALID_NAME', `invalid ${what}`, req);
  return s;
}

function finishField(kind, raw, name, req, limits) {
  switch (kind) {
    case 'name':
      return checkName(raw, name, req);
    case 'names':
      return raw.map((b) => checkName(b, 'user name', req));
    case 'str8':
    case 'str16':
      return text(raw, 'MALFORMED', name, req);
    case 'strs':
      return raw.map((b) => text(b, 'MALFORMED', name, req));
    case 'body': {
      const s = text(raw, 'INVALID_BODY', 'body', req);
      if (raw.length === 0 || raw.length > limits.maxBody) {
        throw new ProtocolError('INVALID_BODY', `a body is 1 to ${limits.maxBody} bytes`, req);
      }
      return s;
    }
    case 'rooms':
      return raw.map((e) => ({ room: text(e.room, 'MALFORMED', 'room', req), members: e.members }));
    case 'entries':
      return raw.map((e) => ({
        seq: e.seq,
        time: e.time,
        from: text(e.from, 'MALFORMED', 'from', req),
        body: text(e.body, 'MALFORMED', 'body', req),
      }));
    default:
      return raw;
  }
}

// The fields of a payload of `type`. Throws ProtocolError: UNKNOWN_TYPE,
// MALFORMED (truncated or trailing bytes, bad UTF-8), INVALID_NAME, INVALID_BODY.
export function decodePayload(type, payload, limits = {}) {
  const schema = SCHEMA.get(type);
  if (!schema) throw new ProtocolError('UNKNOWN_TYPE', `unknown message type ${type}`);
  const maxBody = limits.maxBody ?? DEFAULT_MAX_BODY;
  const r = new Reader(payload);
  const raw = {};
  let req = 0;
  try {
    for (const [name, kind] of schema) {
      raw[name] = readField(r, kind);
      if (name === 'req') req = raw[name];
    }
  } catch (e) {
    if (e !== TRUNCATED) throw e;
    throw new ProtocolError('MALFORMED', `${typeName(type)} is truncated`, req);
  }
  if (r.at !== payload.length) {
    throw new ProtocolError('MALFORMED', `${typeName(type)} has trailing bytes`, req);
  }
  const fields = {};
  for (const [name, kind] of schema) fields[name] = finishField(kind, raw[name], name, req, { maxBody });
  return fields;
}

// Reassembles frames from a byte stream cut anywhere (one byte per chunk
// included). The header is checked before any payload is buffered.
export class FrameReader {
  constructor(maxFrame = DEFAULT_MAX_FRAME) {
    this.maxFrame = maxFrame;
    this.buf = new Uint8Array(0);
  }

  get buffered() {
    return this.buf.length;
  }

  // Returns the complete frames in `chunk` and what was buffered before, as
  // [{type, payload}]. Throws ProtocolError BAD_FRAME or FRAME_TOO_LARGE:
  // the stream cannot be trusted any more.
  push(chunk) {
    let buf = chunk;
    if (this.buf.length > 0) {
      buf = new Uint8Array(this.buf.length + chunk.length);
      buf.set(this.buf);
      buf.set(chunk, this.buf.length);
    }
    const frames = [];
    let at = 0;
    while (buf.length - at >= HEADER_BYTES) {
      const view = new DataView(buf.buffer, buf.byteOffset + at, HEADER_BYTES);
      if (view.getUint16(0) !== MAGIC || view.getUint8(2) !== VERSION) {
        throw new ProtocolError('BAD_FRAME', 'bad magic or version');
      }
      const length = view.getUint32(4);
      if (length > this.maxFrame) {
        throw new ProtocolError('FRAME_TOO_LARGE', `frame of ${length} bytes over ${this.maxFrame}`);
      }
      if (buf.length - at < HEADER_BYTES + length) break;
      const type = view.getUint8(3);
      frames.push({ type, payload: buf.slice(at + HEADER_BYTES, at + HEADER_BYTES + length) });
      at += HEADER_BYTES + length;
    }
    this.buf = buf.slice(at);
    return frames;
  }
}
