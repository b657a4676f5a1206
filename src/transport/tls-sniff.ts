// A TLS port that a client reaches without TLS: instead of a handshake error the
// client cannot read, answer in its own protocol (an MQTT CONNACK with a reason,
// an HTTP 400 with a line of text) and close. The first byte decides: 0x16 opens
// every TLS handshake.
import type { Socket } from 'node:net';

const TLS_HANDSHAKE = 0x16;

/** Waits for the first bytes, then hands the socket to TLS or answers the plain client. */
export function sniffTls(socket: Socket, timeoutMs: number, onTls: (socket: Socket) => void, onPlain: (socket: Socket, first: Buffer) => void): void {
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  timer.unref();
  socket.once('data', (first: Buffer) => {
    clearTimeout(timer);
    socket.pause();
    if (first[0] === TLS_HANDSHAKE) {
      socket.unshift(first);
      onTls(socket);
    } else {
      onPlain(socket, first);
    }
  });
  socket.once('close', () => clearTimeout(timer));
  socket.on('error', () => { /* close follows */ });
}

/** Ends a plain connection with `reply`, destroying it if the client does not close. */
export function answerAndClose(socket: Socket, reply: Buffer): void {
  socket.end(reply);
  setTimeout(() => socket.destroy(), 1_000).unref();
}

export function plainHttpOnTlsPort(): Buffer {
  const text = 'This port speaks HTTPS: use https:// (and --cacert with the installation\'s CA).\n';
  return Buffer.from(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}
