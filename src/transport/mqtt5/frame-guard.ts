// Watches an MQTT byte stream packet by packet without copying it: it decodes each fixed header
// and remaining length and refuses a packet whose total size exceeds the cap before its body
// arrives. aedes's parser has no size limit of its own, so every connection passes through one.
import { ConnectionError } from './errors.ts';

/** Largest remaining-length encoding MQTT allows (4 bytes of 7 bits). */
const maxLengthBytes = 4;

export class FrameGuard {
  #maxPacketSize: number;
  // Parser state across chunks: 'type' wants a first byte, 'length' a varint byte, 'body' skips bytes.
  #state: 'type' | 'length' | 'body' = 'type';
  #length = 0;
  #lengthBytes = 0;
  #multiplier = 1;
  #bodyLeft = 0;
  #completed = 0;

  constructor(maxPacketSize: number) {
    this.#maxPacketSize = maxPacketSize;
  }

  /** The cap now: small until the client's login says who it is, then its class's (broker.ts). */
  get maxPacketSize(): number {
    return this.#maxPacketSize;
  }

  set maxPacketSize(bytes: number) {
    this.#maxPacketSize = bytes;
  }

  /** How many whole packets have gone by. */
  get completedPackets(): number {
    return this.#completed;
  }

  /**
   * Scans a chunk; throws ConnectionError on a malformed header or an oversized packet.
   * Returns the offset just after the first packet that completes in this chunk, or -1.
   */
  check(chunk: Uint8Array): number {
    let firstEnd = -1;
    let i = 0;
    while (i < chunk.length) {
      if (this.#state === 'type') {
        const type = chunk[i]! >> 4;
        if (type === 0) throw new ConnectionError('MALFORMED_PACKET', 'packet type 0 is reserved');
        this.#state = 'length';
        this.#length = 0;
        this.#lengthBytes = 0;
        this.#multiplier = 1;
        i++;
      } else if (this.#state === 'length') {
        const byte = chunk[i]!;
        this.#length += (byte & 0x7f) * this.#multiplier;
        this.#multiplier *= 128;
        this.#lengthBytes++;
        i++;
        if (byte & 0x80) {
          if (this.#lengthBytes >= maxLengthBytes) {
            throw new ConnectionError('MALFORMED_PACKET', 'remaining length longer than 4 bytes');
          }
          continue;
        }
        const total = 1 + this.#lengthBytes + this.#length;
        if (total > this.#maxPacketSize) {
          throw new ConnectionError('PACKET_TOO_LARGE', `packet of ${total} bytes exceeds the maximum of ${this.#maxPacketSize}`);
        }
        this.#bodyLeft = this.#length;
        this.#state = 'body';
        if (this.#bodyLeft === 0) {
          this.#finish();
          if (firstEnd < 0) firstEnd = i;
        }
      } else {
        const take = Math.min(this.#bodyLeft, chunk.length - i);
        this.#bodyLeft -= take;
        i += take;
        if (this.#bodyLeft === 0) {
          this.#finish();
          if (firstEnd < 0) firstEnd = i;
        }
      }
    }
    return firstEnd;
  }

  #finish(): void {
    this.#state = 'type';
    this.#completed++;
  }
}

export type ConnectVersion = 3 | 4 | 5;

/**
 * Reads the protocol level out of a complete first packet, which must be a CONNECT
 * ("MQTT" level 4/5 or "MQIsdp" level 3; bit 7 is the bridge flag some brokers set).
 */
export function readConnectVersion(packet: Uint8Array): ConnectVersion {
  if (packet[0] !== 0x10) throw new ConnectionError('NOT_CONNECT', `first packet has header byte 0x${(packet[0] ?? 0).toString(16)}, not CONNECT`);
  let i = 1;
  while (i < packet.length && (packet[i]! & 0x80)) i++;
  i++;
  if (i + 2 > packet.length) throw new ConnectionError('MALFORMED_PACKET', 'CONNECT too short');
  const nameLength = (packet[i]! << 8) | packet[i + 1]!;
  i += 2;
  if (i + nameLength + 1 > packet.length) throw new ConnectionError('MALFORMED_PACKET', 'CONNECT too short');
  const name = Buffer.from(packet.subarray(i, i + nameLength)).toString('latin1');
  const level = packet[i + nameLength]! & 0x7f;
  if (name === 'MQTT' && (level === 4 || level === 5)) return level;
  if (name === 'MQIsdp' && level === 3) return 3;
  throw new ConnectionError('UNSUPPORTED_PROTOCOL', `unsupported protocol ${JSON.stringify(name)} level ${level}`);
}
