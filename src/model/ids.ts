// Object ids are chosen by clients and end up in MQTT topics
// (`raftlight/<cluster>/state/<kind>/<id>`), so they must be short and topic-safe.

export const OBJECT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Request ids are opaque client tokens (UUIDs, counters); a little wider than object ids. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export type ObjectId = string;
export type RequestId = string;

export function isObjectId(v: unknown): v is ObjectId {
  return typeof v === 'string' && OBJECT_ID_PATTERN.test(v);
}

export function isRequestId(v: unknown): v is RequestId {
  return typeof v === 'string' && REQUEST_ID_PATTERN.test(v);
}
