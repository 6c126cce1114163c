// Which message seqs of one room the page has already shown, so recovery
// after a reconnect shows what was missed with no gap and no duplicate (the
// same rules as src/client/seq_tracker.h).
//
// A floor (every seq at or below it counts as seen) and the seen seqs above
// it (own messages acknowledged out of order, live messages that overtook a
// history page). The floor is the "last seq seen" recovery asks HISTORY
// after. Until start() the tracker knows nothing (first JOIN not answered).
// Bounded: past MAX_SEEN_ABOVE seqs above the floor, the floor jumps.

export const MAX_SEEN_ABOVE = 4096;

export class SeqTracker {
  constructor() {
    this.reset();
  }

  // Knows the room from `floor` on: seqs <= floor count as seen.
  start(floor) {
    this.known = true;
    this.floor = floor;
    this.above = new Set();
  }

  // Forgets everything (the room's history was reset).
  reset() {
    this.known = false;
    this.floor = 0;
    this.above = new Set();
  }

  // The highest seq seen (the floor when nothing above it).
  highest() {
    let h = this.floor;
    for (const s of this.above) if (s > h) h = s;
    return h;
  }

  seen(seq) {
    return seq <= this.floor || this.above.has(seq);
  }

  // Marks `seq` seen; true if it was not seen before (show it).
  mark(seq) {
    if (this.seen(seq)) return false;
    this.above.add(seq);
    this.advance();
    if (this.above.size > MAX_SEEN_ABOVE) this.skipTo(Math.min(...this.above));
    return true;
  }

  // Gives up on every seq at or below `seq`: they count as seen from now on.
  skipTo(seq) {
    if (seq <= this.floor) return;
    this.floor = seq;
    for (const s of this.above) if (s <= seq) this.above.delete(s);
    this.advance();
  }

  advance() {
    while (this.above.has(this.floor + 1)) {
      this.above.delete(this.floor + 1);
      this.floor += 1;
    }
  }
}
