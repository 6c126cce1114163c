// Session: request bookkeeping (reqs, encoding, what survives a lost
// connection and is sent again after the next login) and the requests a user
// makes, each checked before anything goes out (src/client/session_requests.cc
// and session_commands.cc). Mixed into Session by session.js.
import * as proto from './protocol.js';
import { State } from './session_state.js';

const T = proto.Type;
const RESENDABLE = new Set(['say', 'whisper', 'who', 'rooms', 'history']);

function badNameText(what, name) {
  return `${what} '${name}' is not a valid name: 1 to 64 bytes of UTF-8, no spaces or control characters`;
}

export class RequestMethods {
  // ---- requests: bookkeeping ----

  nextReq() {
    this.reqCounter = (this.reqCounter + 1) >>> 0;
    if (this.reqCounter === 0) this.reqCounter = 1; // 0 means "no request"
    return this.reqCounter;
  }

  addRequest(request) {
    const req = this.nextReq();
    this.requests.set(req, { visible: true, sent: false, retryAt: 0, ...request });
    return req;
  }

  sendRequest(req) {
    const r = this.requests.get(req);
    let frame;
    switch (r.kind) {
      case 'hello':
        frame = proto.encode(T.HELLO, { req, client_id: this.clientId, user: this.opt.user, token: this.opt.token });
        break;
      case 'join':
      case 'leave':
      case 'who':
        frame = proto.encode({ join: T.JOIN, leave: T.LEAVE, who: T.WHO }[r.kind], { req, room: r.room });
        break;
      case 'say':
        frame = proto.encode(T.SAY, { req, room: r.room, body: r.body });
        break;
      case 'whisper':
        frame = proto.encode(T.WHISPER, { req, to: r.to, body: r.body });
        break;
      case 'rooms':
        frame = proto.encode(T.ROOMS, { req });
        break;
      case 'watch':
      case 'unwatch':
        frame = proto.encode(r.kind === 'watch' ? T.WATCH : T.UNWATCH, { req, users: r.users });
        break;
      case 'history':
      case 'recovery': {
        let limit = proto.MAX_HISTORY_ENTRIES;
        if (r.kind === 'history') limit = Math.min(limit, r.wanted);
        frame = proto.encode(T.HISTORY, { req, room: r.room, after_seq: r.afterSeq, limit });
        break;
      }
      case 'bye':
        frame = proto.encode(T.BYE, { req });
        break;
      default:
        throw new Error(`unknown request kind ${r.kind}`);
    }
    r.sent = true;
    this.sendBytes(frame);
  }

  // After each login: JOINs first (the server answers in order, so a resent
  // SAY finds its room joined), WATCH, then every unanswered request in req
  // order with the same req: the server recognises a repeated SAY/WHISPER by
  // client_id and req and answers it with the original ACK.
  resendAfterLogin() {
    for (const [name, room] of this.rooms) this.sendJoin(name, room);
    if (this.watched.size > 0) {
      const req = this.addRequest({ kind: 'watch', visible: this.rewatchVisible, users: [...this.watched] });
      this.sendRequest(req);
    }
    this.rewatchVisible = false;
    for (const [req, r] of this.requests) {
      if (RESENDABLE.has(r.kind) && !r.sent && !r.retryAt) this.sendRequest(req);
    }
  }

  forgetConnectionRequests() {
    for (const [req, r] of [...this.requests]) {
      switch (r.kind) {
        case 'leave':
          // The server session is gone, and with it the membership.
          this.leaving.delete(r.room);
          if (r.visible) this.emit({ event: 'left', room: r.room });
          this.requests.delete(req);
          break;
        case 'unwatch':
          this.emit({ event: 'unwatched', users: r.users });
          this.requests.delete(req);
          break;
        case 'watch':
          if (r.visible) this.rewatchVisible = true;
          this.requests.delete(req);
          break;
        case 'hello':
        case 'join':
        case 'recovery':
        case 'bye':
          this.requests.delete(req);
          break;
        default:
          r.sent = false;
      }
    }
    for (const room of this.rooms.values()) {
      Object.assign(room, { joinedNow: false, joinReq: 0, recovering: false, historyReq: 0, recoveryPages: 0 });
      room.held = [];
    }
    this.leaving.clear();
    this.pingSentAt = null;
  }

  // SAY/WHISPER requests not yet acknowledged or refused.
  unackedSends() {
    let n = 0;
    for (const r of this.requests.values()) if (r.kind === 'say' || r.kind === 'whisper') ++n;
    return n;
  }

  // Live, every request answered, every room joined and recovered.
  allAnswered() {
    if (this.state !== State.LIVE) return false;
    for (const r of this.requests.values()) if (r.visible) return false;
    for (const room of this.rooms.values()) if (!room.joinedNow || room.recovering) return false;
    return true;
  }

  localError(code, text) {
    this.emit({ event: 'error', req: 0, code, text, request: '', local: true });
  }

  // ---- requests from the user: each returns the req used on the wire, or 0 ----

  checkName(what, name) {
    if (proto.validName(name)) return true;
    this.localError('INVALID_NAME', badNameText(what, name));
    return false;
  }

  fitsFrame(fixedBytes, body) {
    if (!proto.validBody(body, Infinity)) {
      this.localError('INVALID_BODY', 'a message is 1 or more characters of text');
      return false;
    }
    const size = proto.utf8Bytes(body).length;
    if (size > 65535 || proto.HEADER_BYTES + fixedBytes + 2 + size > this.maxFrame) {
      this.localError('INVALID_BODY', `message too long: ${size} bytes, the server takes frames of at most ${this.maxFrame}`);
      return false;
    }
    return true;
  }

  // Sends now when live; otherwise the request waits for the next login.
  submit(request) {
    const req = this.addRequest(request);
    if (this.state === State.LIVE) this.sendRequest(req);
    return req;
  }

  join(room) {
    if (!this.checkName('room', room)) return 0;
    if (this.rooms.has(room)) return 0;
    this.declined.delete(room);
    const state = this.addRoom(room);
    if (this.state !== State.LIVE) return 0; // joined after the next login
    this.sendJoin(room, state);
    return state.joinReq;
  }

  leave(room) {
    if (!this.checkName('room', room)) return 0;
    const state = this.rooms.get(room);
    if (state) {
      if (state.discovered) this.declined.add(room);
      this.rooms.delete(room);
    }
    if (this.state !== State.LIVE) {
      if (state) this.emit({ event: 'left', room });
      else this.localError('NOT_IN_ROOM', `not in room '${room}'`);
      return 0;
    }
    this.leaving.add(room);
    return this.submit({ kind: 'leave', room });
  }

  say(room, body) {
    if (!this.checkName('room', room) || !this.fitsFrame(5 + proto.utf8Bytes(room).length, body)) return 0;
    return this.submit({ kind: 'say', room, body, retriesLeft: this.opt.rateLimitRetries });
  }

  whisper(to, body) {
    if (!this.checkName('user', to) || !this.fitsFrame(5 + proto.utf8Bytes(to).length, body)) return 0;
    return this.submit({ kind: 'whisper', to, body, retriesLeft: this.opt.rateLimitRetries });
  }

  who(room) {
    if (!this.checkName('room', room)) return 0;
    return this.submit({ kind: 'who', room });
  }

  listRooms() {
    return this.submit({ kind: 'rooms' });
  }

  watch(users) {
    if (users.length === 0 || !users.every((u) => this.checkName('user', u))) return 0;
    for (const u of users) this.watched.add(u);
    if (this.state !== State.LIVE) {
      this.rewatchVisible = true; // the WATCH after the next login answers it
      return 0;
    }
    return this.submit({ kind: 'watch', users });
  }

  unwatch(users) {
    if (users.length === 0 || !users.every((u) => this.checkName('user', u))) return 0;
    for (const u of users) this.watched.delete(u);
    if (this.state !== State.LIVE) {
      this.emit({ event: 'unwatched', users });
      return 0;
    }
    return this.submit({ kind: 'unwatch', users });
  }

  // Up to `count` messages of `room` with seq <= upTo (default: the last
  // seen) as `history` events, oldest first, then `history_end`.
  history(room, count, upTo = undefined) {
    if (!this.checkName('room', room) || count <= 0) return 0;
    const state = this.rooms.get(room);
    const last = upTo ?? (state?.seqs.known ? state.seqs.highest() : undefined);
    const afterSeq = last === undefined ? 0 : Math.max(0, last - count);
    return this.submit({ kind: 'history', room, wanted: count, shown: 0, afterSeq, upTo: last ?? Infinity });
  }
}
