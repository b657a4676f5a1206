// Accepts a client connection: reads the first packet (which must be a CONNECT, at most
// maxPacketSize bytes, within connectTimeoutMs) and routes by protocol level: 3.1/3.1.1 go to
// aedes directly (through a GuardedStream that replays the bytes read and keeps checking packet
// sizes), 5 goes to the MQTT 5 session adapter. Anything else closes this connection only.
import type { Socket } from 'node:net';
import type { Aedes } from 'aedes';
import type { BrokerLogger } from './broker-log.ts';
import { ConnectionError } from './errors.ts';
import { FrameGuard, readConnectVersion, type ConnectVersion } from './frame-guard.ts';
import { GuardedStream } from './guarded-stream.ts';
import { startV5Session, type V5SessionContext } from './v5-session.ts';

export interface FrontEndOptions {
  readonly aedes: Aedes;
  readonly maxPacketSize: number;
  readonly connectTimeoutMs: number;
  readonly v5: Omit<V5SessionContext, 'closed'>;
  readonly log: BrokerLogger;
  /** Called with the stream aedes gets for an MQTT 3.1.1 connection, and the guard checking its packets. */
  registerConnection?(conn: object, guard: FrameGuard): void;
  /** Largest CONNECT, and largest packet until the login is decided. Default maxPacketSize. */
  readonly preAuthPacketSize?: number;
}

/** CONNACK of MQTT 3.1.1 with return code 1 (unacceptable protocol version). */
const connackUnsupportedVersion = Buffer.from([0x20, 0x02, 0x00, 0x01]);

export function acceptConnection(socket: Socket, options: FrontEndOptions): void {
  const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  const preAuth = options.preAuthPacketSize ?? options.maxPacketSize;
  const guard = new FrameGuard(preAuth);
  // Bytes read before the first packet is complete; bounded by maxPacketSize (the guard refuses more).
  const chunks: Buffer[] = [];
  let buffered = 0;

  const refuse = (error: ConnectionError, protocol?: ConnectVersion): void => {
    cleanup();
    const entry = { kind: 'connection-closed', code: error.code, message: error.message, remote } as const;
    options.log(protocol === undefined ? entry : { ...entry, protocol });
    if (error.code === 'UNSUPPORTED_PROTOCOL' && !socket.destroyed) {
      socket.end(connackUnsupportedVersion);
      setTimeout(() => socket.destroy(), 1_000).unref();
    } else {
      socket.destroy();
    }
  };
  const timer = setTimeout(() => refuse(new ConnectionError('CONNECT_TIMEOUT', `no CONNECT within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
  timer.unref();

  const onData = (chunk: Buffer): void => {
    // Refuse non-MQTT at once rather than waiting for a "packet" its first bytes seem to announce.
    if (buffered === 0 && chunk.length > 0 && chunk[0] !== 0x10) {
      refuse(new ConnectionError('NOT_CONNECT', `first byte 0x${chunk[0]!.toString(16)} is not a CONNECT`));
      return;
    }
    let firstEnd: number;
    try {
      firstEnd = guard.check(chunk);
    } catch (error) {
      refuse(error instanceof ConnectionError ? error : new ConnectionError('MALFORMED_PACKET', String(error)));
      return;
    }
    chunks.push(chunk);
    buffered += chunk.length;
    if (firstEnd < 0) return;
    const bytes = chunks.length === 1 ? chunk : Buffer.concat(chunks, buffered);
    let version: ConnectVersion;
    try {
      version = readConnectVersion(bytes.subarray(0, buffered - chunk.length + firstEnd));
    } catch (error) {
      refuse(error instanceof ConnectionError ? error : new ConnectionError('MALFORMED_PACKET', String(error)));
      return;
    }
    cleanup();
    // Synchronous hand-over inside this 'data' event: the next chunk finds the new listener.
    if (version === 5) {
      startV5Session(socket, bytes, {
        ...options.v5,
        closed: (error) => {
          if (error) options.log({ kind: 'connection-closed', code: error.code, message: error.message, remote, protocol: 5 });
        },
      });
    } else {
      const streamGuard = new FrameGuard(preAuth);
      const stream = new GuardedStream(socket, bytes, streamGuard, (error) => {
        options.log({ kind: 'connection-closed', code: error.code, message: error.message, remote, protocol: version });
      });
      options.registerConnection?.(stream, streamGuard);
      options.aedes.handle(stream);
    }
  };
  const onClose = (): void => cleanup();
  function cleanup(): void {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('close', onClose);
  }

  socket.on('data', onData);
  socket.on('close', onClose);
  socket.on('error', () => { /* 'close' follows; the handlers above clean up */ });
}
