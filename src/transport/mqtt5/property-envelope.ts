// Carries MQTT 5 publish properties across aedes, which speaks 3.1.1 on the wire to the
// internal session of a v5 client. The adapter prefixes the payload with an envelope; the
// broker's authorizePublish hook strips it into packet.properties (which aedes keeps on its
// packets), and authorizeForward wraps them again for deliveries to v5 sessions. The marker is
// random per broker, and only payloads of v5 sessions are ever unwrapped on the way in, so a
// v3.1.1 client cannot forge properties.
import { randomBytes } from 'node:crypto';
import type { IPublishPacket } from 'mqtt-packet';

export type PublishProperties = NonNullable<IPublishPacket['properties']>;

/** The properties that describe a message and travel with it (not per-hop ones like aliases). */
export interface CarriedProperties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: Record<string, string | string[]>;
}

const markerLength = 12;
const headerLength = markerLength + 4;

interface EnvelopeJson {
  p?: boolean; e?: number; c?: string; r?: string; d?: string; u?: Record<string, string | string[]>;
}

export function carriedProperties(properties: PublishProperties | undefined): CarriedProperties | undefined {
  if (!properties) return undefined;
  const out: CarriedProperties = {};
  if (properties.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = properties.payloadFormatIndicator;
  if (properties.messageExpiryInterval !== undefined) out.messageExpiryInterval = properties.messageExpiryInterval;
  if (properties.contentType !== undefined) out.contentType = properties.contentType;
  if (properties.responseTopic !== undefined) out.responseTopic = properties.responseTopic;
  if (properties.correlationData !== undefined) out.correlationData = properties.correlationData;
  if (properties.userProperties !== undefined) out.userProperties = properties.userProperties;
  return Object.keys(out).length > 0 ? out : undefined;
}

export class PropertyEnvelope {
  readonly #marker = randomBytes(markerLength);

  /** The payload with the properties in front, or the payload itself when there are none. */
  wrap(payload: Buffer, properties: CarriedProperties | undefined): Buffer {
    if (!properties) return payload;
    const json: EnvelopeJson = {};
    if (properties.payloadFormatIndicator !== undefined) json.p = properties.payloadFormatIndicator;
    if (properties.messageExpiryInterval !== undefined) json.e = properties.messageExpiryInterval;
    if (properties.contentType !== undefined) json.c = properties.contentType;
    if (properties.responseTopic !== undefined) json.r = properties.responseTopic;
    if (properties.correlationData !== undefined) json.d = properties.correlationData.toString('base64');
    if (properties.userProperties !== undefined) json.u = properties.userProperties;
    const body = Buffer.from(JSON.stringify(json), 'utf8');
    const header = Buffer.allocUnsafe(headerLength);
    this.#marker.copy(header, 0);
    header.writeUInt32BE(body.length, markerLength);
    return Buffer.concat([header, body, payload]);
  }

  /** Splits an enveloped payload; a payload without the marker comes back unchanged. */
  unwrap(payload: Buffer): { payload: Buffer; properties: CarriedProperties | undefined } {
    if (payload.length < headerLength || !payload.subarray(0, markerLength).equals(this.#marker)) {
      return { payload, properties: undefined };
    }
    const bodyLength = payload.readUInt32BE(markerLength);
    const end = headerLength + bodyLength;
    if (end > payload.length) return { payload, properties: undefined };
    let json: EnvelopeJson;
    try {
      json = JSON.parse(payload.subarray(headerLength, end).toString('utf8')) as EnvelopeJson;
    } catch {
      return { payload, properties: undefined };
    }
    const properties: CarriedProperties = {};
    if (typeof json.p === 'boolean') properties.payloadFormatIndicator = json.p;
    if (typeof json.e === 'number') properties.messageExpiryInterval = json.e;
    if (typeof json.c === 'string') properties.contentType = json.c;
    if (typeof json.r === 'string') properties.responseTopic = json.r;
    if (typeof json.d === 'string') properties.correlationData = Buffer.from(json.d, 'base64');
    if (json.u !== null && typeof json.u === 'object') properties.userProperties = json.u;
    return { payload: payload.subarray(end), properties };
  }
}
