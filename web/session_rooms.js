// Session: room membership across reconnects, and recovery of what was
// missed (src/client/session_rooms.cc). After a reconnect, per room: JOIN (its
// ACK gives the room's last seq L; live MESSAGEs are held meanwhile), HISTORY
// after the last seq seen, page by page, each entry shown unless already seen,
// then the held messages, each shown unless seen. Own messages are marked
// seen at their ACK, so a SAY resent after the cut is not shown again. A JOIN
// ACK below what we saw, or a new epoch, means the history was reset.
// Mixed into Session by session.js.
import { SeqTracker } from './seq_tracker.js';
import { State } from './session_state.js';

const MAX_HELD_MESSAGES = 10000;

export class RoomMethods {
  // ---- rooms and recovery ----

  addRoom(name) {
    const state = {
      discovered: false, // the server put us in it (the lobby), not a user JOIN
      confirmed: false, // a JOIN was acknowledged once (`joined` reported)
      joinedNow: false, // JOIN acknowledged on the current connection
      joinReq: 0,
      joinSeq: 0, // the room's last seq per that JOIN ACK
      recovering: false, // recovery HISTORY in flight: hold live messages
      historyReq: 0,
      recoveryPages: 0,
      seqs: new SeqTracker(),
      held: [], // live messages held while joining or recovering
    };
    this.rooms.delete(name);
    this.rooms.set(name, state);
    return state;
  }

  roomNames() {
    return [...this.rooms.keys()];
  }

  sendJoin(name, state) {
    const req = this.addRequest({ kind: 'join', visible: false, room: name });
    state.joinReq = req;
    state.joinedNow = false;
    this.sendRequest(req);
  }

  onJoinAck(name, state, lastSeq) {
    state.joinReq = 0;
    state.joinedNow = true;
    state.joinSeq = lastSeq;
    if (!state.confirmed) {
      state.confirmed = true;
      this.emit({ event: 'joined', room: name, last_seq: lastSeq });
    }
    if (!state.seqs.known) {
      // A room new to us: what came before we joined is not "missed".
      state.seqs.start(lastSeq);
      this.finishRecovery(name, state);
      return;
    }
    if (lastSeq < state.seqs.highest()) {
      // The room has fewer messages than we saw: its history was reset.
      this.emit({ event: 'history_reset', room: name });
      state.seqs.start(0);
    }
    if (lastSeq > state.seqs.floor) this.startRecovery(name, state, state.seqs.floor);
    else this.finishRecovery(name, state);
  }

  startRecovery(name, state, afterSeq) {
    const req = this.addRequest({ kind: 'recovery', visible: false, room: name, afterSeq });
    state.recovering = true;
    state.historyReq = req;
    ++state.recoveryPages;
    this.sendRequest(req);
  }

  onRecoveryPage(name, state, page) {
    state.historyReq = 0;
    for (const e of page.messages) {
      const seq = Number(e.seq);
      if (seq > state.seqs.floor + 1) {
        // History no longer reaches back to what we last saw.
        this.emit({ event: 'history_gap', room: name, first_seq: state.seqs.floor + 1, last_seq: seq - 1 });
        state.seqs.skipTo(seq - 1);
      }
      if (state.seqs.mark(seq)) {
        this.emit({ event: 'message', room: name, seq, time: Number(e.time), from: e.from, body: e.body, recovered: true });
      }
    }
    const n = page.messages.length;
    if (page.more && n > 0 && state.recoveryPages < this.opt.maxRecoveryPages) {
      this.startRecovery(name, state, Number(page.messages[n - 1].seq));
      return;
    }
    this.finishRecovery(name, state);
  }

  finishRecovery(name, state) {
    state.recovering = false;
    state.recoveryPages = 0;
    if (state.joinedNow && state.seqs.known && state.seqs.floor < state.joinSeq) {
      // Messages up to the JOIN ACK's seq never come live: what history did
      // not give is lost to us.
      this.emit({ event: 'history_gap', room: name, first_seq: state.seqs.floor + 1, last_seq: state.joinSeq });
      state.seqs.skipTo(state.joinSeq);
    }
    const held = state.held.sort((a, b) => a.seq - b.seq);
    state.held = [];
    for (const m of held) if (state.seqs.mark(m.seq)) this.emit(m);
  }

  onLiveMessage(m) {
    const state = this.rooms.get(m.room);
    if (!state) {
      if (this.leaving.has(m.room)) return; // late traffic of a room we leave
      if (this.declined.has(m.room)) {
        this.leaveQuietly(m.room);
        return;
      }
      // The server put us in this room (the lobby): adopt it, then JOIN to
      // learn its last seq (joining a room we are in is not an error).
      const adopted = this.addRoom(m.room);
      adopted.discovered = true;
      adopted.seqs.start(m.seq - 1);
      adopted.seqs.mark(m.seq);
      this.emit(m);
      this.sendJoin(m.room, adopted);
      return;
    }
    if (!state.joinedNow || state.recovering || !state.seqs.known) {
      if (state.held.length >= MAX_HELD_MESSAGES) {
        this.localError('OVERFLOW', `too many messages in room '${m.room}' while recovering: some are not shown`);
        return;
      }
      state.held.push(m);
      return;
    }
    if (state.seqs.mark(m.seq)) this.emit(m);
  }

  onRoomEvent(e) {
    if (!this.rooms.has(e.room)) {
      if (this.leaving.has(e.room)) return;
      if (this.declined.has(e.room)) {
        this.leaveQuietly(e.room);
        return;
      }
      const adopted = this.addRoom(e.room);
      adopted.discovered = true;
      this.sendJoin(e.room, adopted);
    }
    this.emit(e);
  }

  // The server put us back in a room the user had left (the lobby, after a
  // reconnect): leave it again without telling the user.
  leaveQuietly(room) {
    if (this.state !== State.LIVE || this.leaving.has(room)) return;
    this.leaving.add(room);
    this.sendRequest(this.addRequest({ kind: 'leave', visible: false, room }));
  }

  resetHistories() {
    for (const [name, room] of this.rooms) {
      if (!room.seqs.known) continue;
      this.emit({ event: 'history_reset', room: name });
      room.seqs.start(0);
    }
  }
}
