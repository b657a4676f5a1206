// Why a client connection was closed by the broker's front end (stable codes for logs and tests).
export type ConnectionErrorCode =
  | 'PACKET_TOO_LARGE'      // a packet's declared size exceeds the broker's maximum
  | 'MALFORMED_PACKET'      // bytes that are not MQTT (bad header, bad length, parser error)
  | 'NOT_CONNECT'           // the first packet was not a CONNECT
  | 'UNSUPPORTED_PROTOCOL'  // CONNECT with a protocol name/level we do not speak
  | 'CONNECT_TIMEOUT'       // no complete CONNECT in time
  | 'PROTOCOL_ERROR'        // a valid packet that is not allowed here (MQTT 5 adapter)
  | 'UNSUPPORTED_FEATURE'   // an MQTT 5 feature the adapter refuses (AUTH, subscription ids, topic aliases)
  | 'QUOTA_EXCEEDED'        // a per-connection cap was hit
  | 'PUBLISH_REFUSED'       // a QoS 0 publish the broker's rules refuse (MQTT 5: DISCONNECT with the reason)
  | 'TLS_HANDSHAKE_FAILED'  // the client's TLS handshake failed (certificate, protocol)
  | 'PLAIN_ON_TLS_PORT'     // a client without TLS on the TLS port (answered in plain, then closed)
  | 'EVICTED';              // a connection not logged in, closed to make room (connection caps)

export class ConnectionError extends Error {
  readonly code: ConnectionErrorCode;
  constructor(code: ConnectionErrorCode, message: string) {
    super(message);
    this.name = 'ConnectionError';
    this.code = code;
  }
}
