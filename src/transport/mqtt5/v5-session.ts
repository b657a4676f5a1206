// Serves one MQTT 5 client by bridging it to aedes (which speaks only 3.1.1) through an internal
// 3.1.1 session over an in-memory stream, translating packets both ways. Authentication and
// authorization still run in aedes's hooks; publish properties travel in a PropertyEnvelope.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  generate, parser as createParser,
  type IConnackPacket, type IConnectPacket, type IPublishPacket, type ISubscribePacket, type IUnsubscribePacket, type Packet, type Parser,
} from 'mqtt-packet';
import type { Aedes } from 'aedes';
import { AedesLink } from './aedes-link.ts';
import { ConnectionError, type ConnectionErrorCode } from './errors.ts';
import { FrameGuard } from './frame-guard.ts';
import { carriedProperties, type PropertyEnvelope } from './property-envelope.ts';
import { ReasonCode, connackReason, subackReason } from './reason-codes.ts';

export interface V5Limits {
  /** Largest packet accepted from the client once logged in, unless the broker sets its class's (advertised as Maximum Packet Size). */
  readonly maxPacketSize: number;
  /** Largest packet accepted before the login is decided. */
  readonly preAuthPacketSize: number;
  /** Advertised Receive Maximum: QoS 1/2 publishes the client may have unacknowledged. */
  readonly receiveMaximum: number;
  /** SUBSCRIBE/UNSUBSCRIBE packets awaiting aedes's answer; more closes the connection. */
  readonly maxPendingSubscriptions: number;
}

export interface V5SessionContext {
  readonly aedes: Aedes;
  /** Asks the broker's publish rule before passing a publish on: a refusal is answered here, with its reason code. */
  vetPublish?(link: AedesLink, packet: IPublishPacket): { reasonCode: number; reason: string } | null;
  readonly envelope: PropertyEnvelope;
  readonly limits: V5Limits;
  /** Marks the link as a v5 session so the broker hooks translate properties for it. */
  registerLink(link: AedesLink, guard: FrameGuard): void;
  /** Called once; error is set when the broker closed the connection because of the client. */
  closed(error: ConnectionError | null): void;
}

type ConnectProperties = NonNullable<IConnectPacket['properties']>;

const closeGraceMs = 2_000;

export function startV5Session(socket: Socket, initial: Buffer, context: V5SessionContext): void {
  new V5Session(socket, context).start(initial);
}

class V5Session {
  readonly #socket: Socket;
  readonly #context: V5SessionContext;
  readonly #guard: FrameGuard;
  readonly #clientParser: Parser = createParser();
  readonly #aedesParser: Parser = createParser({ protocolVersion: 4 });
  readonly #link: AedesLink;
  #connectSeen = false;
  #connackSent = false;
  #closed = false;
  #assignedClientId: string | undefined;
  #sessionExpiryRefused = false;
  #clientReceiveMaximum = 65_535;
  #clientMaxPacketSize = Number.POSITIVE_INFINITY;
  /** Message ids of QoS 1/2 deliveries the client has not acknowledged; capped by its Receive Maximum. */
  readonly #outboundInflight = new Set<number>();
  /** QoS 2 deliveries dropped for the client's size limit, whose PUBREL we answer; at most 65,535 ids. */
  readonly #droppedQos2 = new Set<number>();
  /** Per pending SUBSCRIBE: reason codes decided locally (null = aedes decides); capped by maxPendingSubscriptions. */
  readonly #pendingSubscribes = new Map<number, Array<number | null>>();
  /** Per pending UNSUBSCRIBE: how many topics it had; same cap. */
  readonly #pendingUnsubscribes = new Map<number, number>();
  /** Packets decoded from the aedes write being processed; bounded by one write (≤ 16 KiB of bytes). */
  readonly #outQueue: Packet[] = [];
  #outDone: ((error?: Error | null) => void) | null = null;

  constructor(socket: Socket, context: V5SessionContext) {
    this.#socket = socket;
    this.#context = context;
    this.#guard = new FrameGuard(context.limits.preAuthPacketSize);
    this.#link = new AedesLink({
      fromAedes: (chunk, done) => this.#fromAedes(chunk, done),
      aedesWantsMore: () => { if (!this.#closed) socket.resume(); },
      aedesClosed: () => this.#endGracefully(),
    });
  }

  start(initial: Buffer): void {
    this.#clientParser.on('packet', (packet: Packet) => this.#onClientPacket(packet));
    this.#clientParser.on('error', (error: Error) => this.#fail('MALFORMED_PACKET', error.message, ReasonCode.malformedPacket));
    this.#aedesParser.on('packet', (packet: Packet) => { this.#outQueue.push(packet); });
    this.#aedesParser.on('error', (error: Error) => this.#fail('PROTOCOL_ERROR', `internal session: ${error.message}`, ReasonCode.implementationSpecificError));
    this.#socket.on('data', (chunk: Buffer) => this.#fromClient(chunk));
    this.#socket.on('drain', () => this.#pump());
    this.#socket.on('error', () => { /* 'close' follows */ });
    this.#socket.on('close', () => this.#shutdown(null));
    this.#context.registerLink(this.#link, this.#guard);
    this.#context.aedes.handle(this.#link);
    this.#fromClient(initial);
  }

  // ---- client -> aedes ----

  #fromClient(chunk: Buffer): void {
    if (this.#closed) return;
    try {
      this.#guard.check(chunk);
    } catch (error) {
      const e = error instanceof ConnectionError ? error : new ConnectionError('MALFORMED_PACKET', String(error));
      this.#fail(e.code, e.message, e.code === 'PACKET_TOO_LARGE' ? ReasonCode.packetTooLarge : ReasonCode.malformedPacket);
      return;
    }
    this.#clientParser.parse(chunk);
  }

  #toAedes(packet: Packet): void {
    let bytes: Buffer;
    try {
      bytes = generate(packet, { protocolVersion: 4 });
    } catch (error) {
      this.#fail('PROTOCOL_ERROR', `cannot translate ${packet.cmd}: ${(error as Error).message}`, ReasonCode.protocolError);
      return;
    }
    if (!this.#link.toAedes(bytes)) this.#socket.pause();
  }

  #onClientPacket(packet: Packet): void {
    if (this.#closed) return;
    if (!this.#connectSeen && packet.cmd !== 'connect') {
      this.#fail('NOT_CONNECT', `${packet.cmd} before CONNECT`, ReasonCode.protocolError);
      return;
    }
    switch (packet.cmd) {
      case 'connect': return this.#onConnect(packet);
      case 'publish': return this.#onPublish(packet);
      case 'puback':
      case 'pubcomp':
        this.#outboundInflight.delete(packet.messageId ?? -1);
        this.#toAedes({ cmd: packet.cmd, messageId: packet.messageId });
        this.#pump();
        return;
      case 'pubrec':
      case 'pubrel':
        this.#toAedes({ cmd: packet.cmd, messageId: packet.messageId });
        return;
      case 'subscribe': return this.#onSubscribe(packet);
      case 'unsubscribe': return this.#onUnsubscribe(packet);
      case 'pingreq':
        this.#toAedes({ cmd: 'pingreq' });
        return;
      case 'disconnect':
        // 0x04 asks for the will: end the link without a DISCONNECT so aedes publishes it.
        if (packet.reasonCode !== ReasonCode.disconnectWithWill) this.#toAedes({ cmd: 'disconnect' });
        else this.#link.push(null);
        this.#endGracefully();
        return;
      case 'auth':
        this.#fail('UNSUPPORTED_FEATURE', 'enhanced authentication (AUTH) is not supported', ReasonCode.badAuthenticationMethod);
        return;
      default:
        this.#fail('PROTOCOL_ERROR', `unexpected ${packet.cmd} from a client`, ReasonCode.protocolError);
    }
  }

  #onConnect(packet: IConnectPacket): void {
    if (this.#connectSeen) {
      this.#fail('PROTOCOL_ERROR', 'second CONNECT', ReasonCode.protocolError);
      return;
    }
    this.#connectSeen = true;
    const properties: ConnectProperties = packet.properties ?? {};
    if (properties.authenticationMethod !== undefined) {
      this.#fail('UNSUPPORTED_FEATURE', 'enhanced authentication is not supported', ReasonCode.badAuthenticationMethod);
      return;
    }
    if (properties.receiveMaximum) this.#clientReceiveMaximum = properties.receiveMaximum;
    if (properties.maximumPacketSize) this.#clientMaxPacketSize = properties.maximumPacketSize;
    let clientId = packet.clientId;
    if (clientId === '') {
      // MQTT 5 lets the server assign the id; aedes would refuse an empty one on a persistent session.
      clientId = `v5-${randomUUID()}`;
      this.#assignedClientId = clientId;
    }
    // Sessions end with their connection (nothing is kept for absent clients): a client that
    // asked for a session expiry is told 0 in the CONNACK.
    this.#sessionExpiryRefused = (properties.sessionExpiryInterval ?? 0) > 0;
    const translated: IConnectPacket = {
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean: true, keepalive: packet.keepalive ?? 0,
    };
    if (packet.username !== undefined || packet.password !== undefined) translated.username = packet.username ?? '';
    if (packet.password !== undefined) translated.password = packet.password;
    if (packet.will) {
      const payload = typeof packet.will.payload === 'string' ? Buffer.from(packet.will.payload) : packet.will.payload;
      translated.will = {
        topic: packet.will.topic,
        payload: this.#context.envelope.wrap(payload, carriedProperties(packet.will.properties)),
        qos: packet.will.qos ?? 0,
        retain: packet.will.retain ?? false,
      };
    }
    this.#toAedes(translated);
  }

  #onPublish(packet: IPublishPacket): void {
    if (packet.properties?.topicAlias !== undefined) {
      this.#fail('UNSUPPORTED_FEATURE', 'topic aliases are not supported (Topic Alias Maximum is 0)', ReasonCode.topicAliasInvalid);
      return;
    }
    if (packet.retain) {
      // Retain Available is 0 in our CONNACK: only the board retains its own topics.
      this.#fail('UNSUPPORTED_FEATURE', `retained publish to ${packet.topic}: this broker retains only its own topics`, ReasonCode.retainNotSupported);
      return;
    }
    const verdict = this.#context.vetPublish?.(this.#link, packet) ?? null;
    if (verdict !== null) {
      const properties = { reasonString: verdict.reason.slice(0, 256) };
      if (packet.qos === 1) this.#toClient({ cmd: 'puback', messageId: packet.messageId, reasonCode: verdict.reasonCode, properties });
      else if (packet.qos === 2) this.#toClient({ cmd: 'pubrec', messageId: packet.messageId, reasonCode: verdict.reasonCode, properties });
      else this.#fail('PUBLISH_REFUSED', verdict.reason, verdict.reasonCode);
      return;
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    this.#toAedes({
      cmd: 'publish', topic: packet.topic, qos: packet.qos, retain: packet.retain, dup: packet.dup,
      messageId: packet.messageId,
      payload: this.#context.envelope.wrap(payload, carriedProperties(packet.properties)),
    });
  }

  #onSubscribe(packet: ISubscribePacket): void {
    if (packet.properties?.subscriptionIdentifier !== undefined) {
      this.#fail('UNSUPPORTED_FEATURE', 'subscription identifiers are not supported', ReasonCode.subscriptionIdentifiersNotSupported);
      return;
    }
    if (this.#pendingSubscribes.size + this.#pendingUnsubscribes.size >= this.#context.limits.maxPendingSubscriptions) {
      this.#fail('QUOTA_EXCEEDED', 'too many SUBSCRIBE/UNSUBSCRIBE awaiting an answer', ReasonCode.quotaExceeded);
      return;
    }
    const codes: Array<number | null> = [];
    const forwarded: ISubscribePacket['subscriptions'] = [];
    for (const subscription of packet.subscriptions) {
      if (subscription.topic.startsWith('$share/')) {
        codes.push(ReasonCode.sharedSubscriptionsNotSupported);
      } else {
        codes.push(null);
        forwarded.push({ topic: subscription.topic, qos: subscription.qos });
      }
    }
    const messageId = packet.messageId ?? 0;
    if (forwarded.length === 0) {
      this.#toClient({ cmd: 'suback', messageId, granted: codes.map((c) => c ?? ReasonCode.unspecifiedError) });
      return;
    }
    this.#pendingSubscribes.set(messageId, codes);
    this.#toAedes({ cmd: 'subscribe', messageId, subscriptions: forwarded });
  }

  #onUnsubscribe(packet: IUnsubscribePacket): void {
    if (this.#pendingSubscribes.size + this.#pendingUnsubscribes.size >= this.#context.limits.maxPendingSubscriptions) {
      this.#fail('QUOTA_EXCEEDED', 'too many SUBSCRIBE/UNSUBSCRIBE awaiting an answer', ReasonCode.quotaExceeded);
      return;
    }
    const messageId = packet.messageId ?? 0;
    this.#pendingUnsubscribes.set(messageId, packet.unsubscriptions.length);
    this.#toAedes({ cmd: 'unsubscribe', messageId, unsubscriptions: packet.unsubscriptions });
  }

  // ---- aedes -> client ----

  #fromAedes(chunk: Buffer, done: (error?: Error | null) => void): void {
    if (this.#closed) {
      done();
      return;
    }
    this.#outDone = done;
    this.#aedesParser.parse(chunk);
    this.#pump();
  }

  /** Sends queued packets while the socket and the client's Receive Maximum allow, then releases aedes. */
  #pump(): void {
    while (this.#outQueue.length > 0 && !this.#closed) {
      const next = this.#outQueue[0]!;
      if (next.cmd === 'publish' && next.qos > 0 && this.#outboundInflight.size >= this.#clientReceiveMaximum) return;
      if (this.#socket.writableNeedDrain) return;
      this.#outQueue.shift();
      this.#onAedesPacket(next);
    }
    if (this.#outQueue.length === 0 || this.#closed) {
      const done = this.#outDone;
      this.#outDone = null;
      done?.();
    }
  }

  #toClient(packet: Packet): void {
    try {
      this.#socket.write(generate(packet, { protocolVersion: 5 }));
    } catch (error) {
      this.#fail('PROTOCOL_ERROR', `cannot encode ${packet.cmd}: ${(error as Error).message}`, ReasonCode.implementationSpecificError);
    }
  }

  #onAedesPacket(packet: Packet): void {
    switch (packet.cmd) {
      case 'connack': {
        const override = (this.#link as { connackReason?: number }).connackReason;
        const reasonCode = packet.returnCode && override !== undefined ? override : connackReason(packet.returnCode ?? 0);
        const properties: IConnackPacket['properties'] = reasonCode !== ReasonCode.success ? {} : {
          maximumPacketSize: this.#guard.maxPacketSize,
          receiveMaximum: this.#context.limits.receiveMaximum,
          retainAvailable: false,
          ...(this.#sessionExpiryRefused ? { sessionExpiryInterval: 0 } : {}),
          wildcardSubscriptionAvailable: true,
          subscriptionIdentifiersAvailable: false,
          sharedSubscriptionAvailable: false,
          ...(this.#assignedClientId !== undefined ? { assignedClientIdentifier: this.#assignedClientId } : {}),
        };
        this.#toClient({ cmd: 'connack', reasonCode, sessionPresent: packet.sessionPresent, properties });
        this.#connackSent = true;
        if (reasonCode !== ReasonCode.success) this.#endGracefully();
        return;
      }
      case 'publish': return this.#deliver(packet);
      case 'pubrel':
        if (this.#droppedQos2.delete(packet.messageId ?? -1)) this.#toAedes({ cmd: 'pubcomp', messageId: packet.messageId });
        else this.#toClient({ cmd: 'pubrel', messageId: packet.messageId });
        return;
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
        this.#toClient({ cmd: packet.cmd, messageId: packet.messageId });
        return;
      case 'suback': {
        const messageId = packet.messageId ?? 0;
        const codes = this.#pendingSubscribes.get(messageId) ?? packet.granted.map(() => null);
        this.#pendingSubscribes.delete(messageId);
        const granted = packet.granted as number[];
        let next = 0;
        const merged = codes.map((code) => code ?? subackReason(granted[next++] ?? 0x80));
        this.#toClient({ cmd: 'suback', messageId, granted: merged });
        return;
      }
      case 'unsuback': {
        const messageId = packet.messageId ?? 0;
        const count = this.#pendingUnsubscribes.get(messageId) ?? 1;
        this.#pendingUnsubscribes.delete(messageId);
        this.#toClient({ cmd: 'unsuback', messageId, granted: new Array<number>(count).fill(ReasonCode.success) });
        return;
      }
      case 'pingresp':
        this.#toClient({ cmd: 'pingresp' });
        return;
      default:
        return;
    }
  }

  #deliver(packet: IPublishPacket): void {
    const raw = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const { payload, properties } = this.#context.envelope.unwrap(raw);
    const outgoing: IPublishPacket = {
      cmd: 'publish', topic: packet.topic, payload, qos: packet.qos, retain: packet.retain, dup: packet.dup,
      messageId: packet.messageId,
    };
    if (properties) outgoing.properties = properties;
    let bytes: Buffer;
    try {
      bytes = generate(outgoing, { protocolVersion: 5 });
    } catch {
      bytes = Buffer.alloc(0);
    }
    if (bytes.length === 0 || bytes.length > this.#clientMaxPacketSize) {
      // The client said it cannot take it: drop it, and settle it with aedes so nothing is retried.
      if (packet.qos === 1) this.#toAedes({ cmd: 'puback', messageId: packet.messageId });
      if (packet.qos === 2) {
        this.#droppedQos2.add(packet.messageId ?? 0);
        this.#toAedes({ cmd: 'pubrec', messageId: packet.messageId });
      }
      return;
    }
    if (packet.qos > 0) this.#outboundInflight.add(packet.messageId ?? 0);
    this.#socket.write(bytes);
  }

  // ---- closing ----

  /** Refuses the client with a reason code (CONNACK before it is connected, DISCONNECT after), then closes. */
  #fail(code: ConnectionErrorCode, message: string, reasonCode: number): void {
    if (this.#closed) return;
    if (!this.#socket.destroyed) {
      const properties = { reasonString: message.slice(0, 256) };
      if (this.#connackSent) this.#toClient({ cmd: 'disconnect', reasonCode, properties });
      else if (this.#connectSeen || code !== 'NOT_CONNECT') this.#toClient({ cmd: 'connack', reasonCode, sessionPresent: false, properties });
    }
    this.#shutdown(new ConnectionError(code, message));
  }

  /** Flushes what is written and closes the socket; destroys it if the peer does not follow. */
  #endGracefully(): void {
    if (this.#socket.destroyed) return;
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), closeGraceMs).unref();
  }

  #shutdown(error: ConnectionError | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#outQueue.length = 0;
    const done = this.#outDone;
    this.#outDone = null;
    done?.();
    this.#link.destroy();
    this.#endGracefully();
    this.#context.closed(error);
  }
}
