// Caps and timings of the MQTT transport, each with the reason for its default.
import { defaultCodecLimits, type CodecLimits } from './codec.ts';
import { defaultQueueCaps, type QueueCaps } from './peer-queue.ts';

/**
 * Largest MQTT payload on a raft topic. It fits the broker's default packet cap (1 MiB, see
 * broker.ts defaultMaxPacketSize) with room for the topic and the MQTT header; raise both
 * together. Raft's maxSizePerMsg plus its largest entry must stay below it.
 */
export const defaultMaxPayloadBytes = 1024 * 1024 - 1024;

export interface MqttTransportLimits {
  /** Per-peer send queue caps (messages waiting for a connection or a drained socket). */
  readonly queue: QueueCaps;
  /** Decoding limits for ordinary messages. */
  readonly codec: CodecLimits;
  /** Largest batch payload sent or accepted; several queued messages share one publish up to this. */
  readonly maxBatchBytes: number;
  /** Stop writing to a socket whose unsent buffer exceeds this; resume on 'drain'. */
  readonly socketHighWaterBytes: number;
  /** Bytes of snapshot per chunk frame. */
  readonly chunkBytes: number;
  /** Chunks in flight before an acknowledgement (window * chunkBytes buffered at most per transfer). */
  readonly snapshotWindow: number;
  /** Without acknowledgement progress for this long, resend from the last acknowledged chunk. */
  readonly snapshotAckTimeoutMs: number;
  /** Resends without progress before the transfer is reported failed. */
  readonly snapshotMaxRetries: number;
  /** Largest encoded snapshot message sent or accepted. */
  readonly maxSnapshotBytes: number;
  /** Total bytes of all snapshots being reassembled at once on this board. */
  readonly maxReassemblyBytes: number;
  /** A reassembly without a chunk for this long is discarded. */
  readonly reassemblyIdleMs: number;
  /** Snapshot messages being sent at once (each holds an encoded copy); more are reported failed. */
  readonly maxConcurrentSnapshotSends: number;
  /** Reconnect backoff: first delay, cap, and random spread (0..1) added to spread retries. */
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly backoffJitter: number;
  /** MQTT keepalive of outbound connections: a backstop; deadLinkMs notices a dead link sooner. */
  readonly keepaliveSec: number;
  /** Time allowed for the TCP handshake alone (answered by the peer's kernel, not its process). */
  readonly tcpConnectTimeoutMs: number;
  /** Time allowed for TCP connect + CONNACK. */
  readonly connectTimeoutMs: number;
  /**
   * A link that carried our messages but brought nothing back for this long is
   * dead (a crashed peer, a blackholed route): it is closed and dialed again.
   * Raft answers every message it gets within a heartbeat, so silence this long
   * means the peer cannot take part; the board sets it to one election timeout.
   */
  readonly deadLinkMs: number;
  /** How often links are checked for that silence. */
  readonly livenessCheckMs: number;
}

export const defaultMqttTransportLimits: MqttTransportLimits = Object.freeze({
  queue: defaultQueueCaps,
  // One message must fit a batch payload alone (batch framing takes at most 18 bytes then).
  codec: { ...defaultCodecLimits, maxMessageBytes: defaultMaxPayloadBytes - 64 },
  maxBatchBytes: defaultMaxPayloadBytes,
  socketHighWaterBytes: 256 * 1024,
  chunkBytes: 64 * 1024,
  snapshotWindow: 4,
  snapshotAckTimeoutMs: 3_000,
  snapshotMaxRetries: 4,
  maxSnapshotBytes: 64 * 1024 * 1024,
  maxReassemblyBytes: 96 * 1024 * 1024,
  reassemblyIdleMs: 30_000,
  maxConcurrentSnapshotSends: 2,
  // Redial a lost peer every few hundred milliseconds at most: after a partition heals, the
  // link (and with it the board's place in the cluster) comes back well within one election
  // timeout. A dial to a dead board costs one SYN per peer and period.
  backoffInitialMs: 50,
  backoffMaxMs: 100,
  backoffJitter: 0.5,
  keepaliveSec: 10,
  // A dial stuck on a blackholed route gives up fast and is tried again (the SYN retransmit
  // timer would otherwise hold it for 1, then 3, then 7 s). The handshake is the kernel's
  // work, fast even on a saturated board; CONNACK needs the peer's event loop, so it gets longer.
  tcpConnectTimeoutMs: 250,
  connectTimeoutMs: 2_000,
  deadLinkMs: 1_000,
  livenessCheckMs: 100,
});

/** Delay before reconnect attempt number `attempt` (0-based): exponential, capped, with jitter. */
export function backoffDelay(limits: MqttTransportLimits, attempt: number, random: () => number): number {
  const base = Math.min(limits.backoffMaxMs, limits.backoffInitialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 + limits.backoffJitter * random()));
}
