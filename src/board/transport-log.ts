// Which transport events an operator must see (warn, rate-limited): refused or
// forged input and failed handshakes; the rest (connections coming and going) is debug.
const warnCodes = new Set(['RECEIVE_REJECTED', 'RECEIVE_UNKNOWN_CLIENT', 'PEER_TLS_FAILED', 'PEER_LOGIN_REFUSED', 'SNAPSHOT_RECEIVE']);

export function transportLogLevel(code: string): 'warn' | 'debug' {
  return warnCodes.has(code) ? 'warn' : 'debug';
}
