// Clear words for the errors the page shows, by code (PROTOCOL.md section 7,
// and the session's local codes). The server's own text follows in brackets
// when it adds something.

const WORDS = {
  BAD_FRAME: 'The server could not read what the page sent.',
  FRAME_TOO_LARGE: 'That was too large for the server.',
  UNKNOWN_TYPE: 'The server does not know that request.',
  MALFORMED: 'The server could not read that request.',
  NOT_LOGGED_IN: 'You are not logged in yet.',
  AUTH_FAILED: 'Login refused: the token does not prove this name (or has expired).',
  INVALID_NAME: 'That name is not valid: 1 to 64 bytes, no spaces or control characters.',
  INVALID_BODY: 'That message cannot be sent: it is empty, too long or not valid text.',
  NOT_IN_ROOM: 'You are not in that room.',
  NO_SUCH_USER: 'That user is not online.',
  RATE_LIMITED: 'You are sending too fast; the message was not sent.',
  SLOW_CONSUMER: 'The connection could not keep up; reconnecting to catch up.',
  IDLE_TIMEOUT: 'The server closed the idle connection.',
  TOO_MANY_ROOMS: 'You are in too many rooms: leave one first.',
  SHUTTING_DOWN: 'The server is shutting down.',
  ALREADY_LOGGED_IN: 'Already logged in.',
  SERVER_FULL: 'The server is full; try again later.',
  LIMIT: 'A limit was reached (too many sessions for this user, or too many watched users).',
  UNAVAILABLE: 'The server cannot take that now; try again later.',
  OVERFLOW: 'Too many messages arrived while catching up: some are not shown.',
  USAGE: 'Something is missing.',
};

// `ev` is a session `error` event: {code, text, request, room, to}.
export function describeError(ev) {
  const words = WORDS[ev.code];
  let what = '';
  if (ev.request === 'JOIN' || ev.request === 'LEAVE' || ev.request === 'SAY') what = ` (room ${ev.room})`;
  if (ev.request === 'WHISPER') what = ` (to ${ev.to})`;
  if (!words) return `${ev.code}: ${ev.text}${what}`;
  // Local errors (req 0, no request) carry the precise reason in `text`.
  if (ev.local) return `${ev.text.charAt(0).toUpperCase()}${ev.text.slice(1)}.`;
  return `${words}${what}${ev.text ? ` [${ev.text}]` : ''}`;
}
