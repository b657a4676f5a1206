// MQTT 5 reason codes the adapter sends, and the mapping from aedes's MQTT 3.1.1 answers.
export const ReasonCode = {
  success: 0x00,
  disconnectWithWill: 0x04,
  unspecifiedError: 0x80,
  malformedPacket: 0x81,
  protocolError: 0x82,
  implementationSpecificError: 0x83,
  unsupportedProtocolVersion: 0x84,
  clientIdentifierNotValid: 0x85,
  badUserNameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  badAuthenticationMethod: 0x8c,
  topicAliasInvalid: 0x94,
  packetTooLarge: 0x95,
  quotaExceeded: 0x97,
  retainNotSupported: 0x9a,
  sharedSubscriptionsNotSupported: 0x9e,
  subscriptionIdentifiersNotSupported: 0xa1,
} as const;

/** CONNACK return code of MQTT 3.1.1 (as aedes sends it) to the MQTT 5 reason code. */
export function connackReason(returnCode: number): number {
  switch (returnCode) {
    case 0: return ReasonCode.success;
    case 1: return ReasonCode.unsupportedProtocolVersion;
    case 2: return ReasonCode.clientIdentifierNotValid;
    case 3: return ReasonCode.serverUnavailable;
    case 4: return ReasonCode.badUserNameOrPassword;
    case 5: return ReasonCode.notAuthorized;
    default: return ReasonCode.unspecifiedError;
  }
}

/** SUBACK granted QoS of MQTT 3.1.1 to the MQTT 5 reason code (128 from aedes means refused by authorizeSubscribe). */
export function subackReason(granted: number): number {
  return granted === 0 || granted === 1 || granted === 2 ? granted : ReasonCode.notAuthorized;
}
