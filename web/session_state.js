// The states of a Session (session.js), shared by its modules.
export const State = Object.freeze({
  IDLE: 'idle',
  CONNECTING: 'connecting', // WebSocket opening
  LOGGING_IN: 'logging in', // HELLO sent, waiting for WELCOME
  LIVE: 'online',
  WAITING: 'reconnecting', // backoff delay before the next attempt
  CLOSING: 'closing', // BYE sent
  CLOSED: 'closed', // ended by quit()
  GAVE_UP: 'offline', // could not connect, ran out of attempts, or login refused
});
