// The board telemetry messages that travel as side payloads between members
// (src/transport/side-channel.ts), in the transport codec's compact binary form:
//
//   report          member → leader   the member's own figures, its recent apply marks and
//                                      its newest history sample (or its whole hour on request)
//   series-request  leader → member   "send your whole history with your next report"
//   view-request    page board → leader   one page of the installation view
//   view            leader → page board   that page: leader, term, members with health, figures
//
// Layout: [version u8][type u8] then the type's fields. Numbers are varints, a nullable
// number is varint(n + 1) with 0 for null, strings are length-prefixed UTF-8. Each member of
// a view is its own length-prefixed record, decoded to its exact end. Decoding is strict:
// every enum, count, length and id is checked; any defect is a CodecError (dropped and
// counted by the receiver, never fatal).
import type { Role } from '../raft/raft.ts';
import { ByteReader, ByteWriter, CodecError, guardDecode, validateNodeId } from '../transport/codec.ts';
import { MAX_SIDE_PAYLOAD_BYTES } from '../transport/side-channel.ts';

export const TELEMETRY_VERSION = 1;

export const BOARD_ROLES = ['voter', 'external', 'none'] as const;
export type BoardRole = (typeof BOARD_ROLES)[number];
export const RAFT_ROLES = ['follower', 'pre-candidate', 'candidate', 'leader'] as const satisfies readonly Role[];
export const HEALTHS = ['ok', 'degraded', 'down', 'unknown'] as const;
export type Health = (typeof HEALTHS)[number];

/** Caps of the codec (also the caps of what a board keeps per member: docs/architecture.md). */
export const TELEMETRY_LIMITS = Object.freeze({
  maxPayloadBytes: MAX_SIDE_PAYLOAD_BYTES,
  /** One hour of 10-second samples. */
  maxSeriesSamples: 360,
  maxMarks: 32,
  maxMembers: 1024,
  maxTextBytes: 200,
  maxIdBytes: 64,
});

/** One 10-second history sample of a board. `ageMs` is relative to the message's sending. */
export interface Sample {
  readonly ageMs: number;
  readonly anonKiB: number;
  readonly fileKiB: number;
  /** CPU time over the sample's 10 s, per mille of one core. */
  readonly cpuPermille: number;
  /** Writes proposed through this board and applied on it during the sample, their mean and max latency. */
  readonly writes: number;
  readonly writeMeanUs: number;
  readonly writeMaxUs: number;
}

/** A 10-second bucket of delays ("applied on every board", measured by the leader). */
export interface DelaySample {
  readonly ageMs: number;
  readonly count: number;
  readonly meanUs: number;
  readonly maxUs: number;
}

/** "This board applied `index` `agoMs` before the report left": the leader's propagation input. */
export interface ApplyMark {
  readonly index: number;
  readonly agoMs: number;
}

/** The figures a board reports about itself. */
export interface BoardFigures {
  readonly id: string;
  readonly role: BoardRole;
  readonly raftRole: Role;
  /** The board's failure domain (room, cabinet, power feed) once boards are given one; null now. */
  readonly domain: string | null;
  readonly version: string;
  readonly uptimeS: number;
  readonly anonKiB: number;
  readonly fileKiB: number;
  /** CPU over the last report period, per mille of one core. */
  readonly cpuPermille: number;
  readonly appliedIndex: number;
  readonly term: number;
}

export interface BoardReport extends BoardFigures {
  readonly marks: readonly ApplyMark[];
  /** True when `series` is the board's whole history (answer to a series-request). */
  readonly full: boolean;
  readonly series: readonly Sample[];
}

export interface MemberView {
  readonly id: string;
  readonly role: BoardRole;
  readonly health: Health;
  /** Why, in a few words ("no report for 7 s", "42 entries behind"). */
  readonly reason: string;
  /** Since the leader last heard anything from this board; null when never. */
  readonly lastContactMs: number | null;
  /** Entries the leader has that this board does not hold yet; null when unknown. */
  readonly lagEntries: number | null;
  /** The latest measured delay from the leader's commit to this board's apply. */
  readonly propagationUs: number | null;
  /** The board's last report, `reportAgeMs` old; null when none arrived. */
  readonly figures: BoardFigures | null;
  readonly reportAgeMs: number;
  readonly series: readonly Sample[];
}

export interface ViewPage {
  readonly leader: string;
  readonly term: number;
  readonly commitIndex: number;
  readonly lastIndex: number;
  /** Members in the whole view; this page holds members[from, from + members.length). */
  readonly total: number;
  readonly from: number;
  readonly next: number | null;
  readonly propagation: readonly DelaySample[];
  readonly members: readonly MemberView[];
}

export type TelemetryMessage =
  | { readonly type: 'report'; readonly report: BoardReport }
  | { readonly type: 'series-request' }
  /** A voter that is stopping asks the leader to hand its seat to a healthy external board (autopilot). */
  | { readonly type: 'seat-release' }
  | { readonly type: 'view-request'; readonly requestId: number; readonly from: number; readonly full: boolean }
  | { readonly type: 'view'; readonly requestId: number; readonly page: ViewPage };

const TYPE_TAGS = { report: 1, 'series-request': 2, 'view-request': 3, view: 4, 'seat-release': 5 } as const;

// ---- small helpers ----

function enumIndex<T extends string>(values: readonly T[], v: T, what: string): number {
  const i = values.indexOf(v);
  if (i < 0) throw new CodecError('CODEC_INVALID_FIELD', `unknown ${what} ${String(v)}`);
  return i;
}
function readEnum<T extends string>(r: ByteReader, values: readonly T[], what: string): T {
  const i = r.u8();
  const v = values[i];
  if (v === undefined) throw new CodecError('CODEC_INVALID_FIELD', `unknown ${what} ${i}`);
  return v;
}
const writeNullable = (w: ByteWriter, v: number | null): void => w.varint(v === null ? 0 : v + 1);
const readNullable = (r: ByteReader): number | null => {
  const v = r.varint();
  return v === 0 ? null : v - 1;
};
function writeText(w: ByteWriter, s: string): void {
  if (Buffer.byteLength(s) > TELEMETRY_LIMITS.maxTextBytes) throw new CodecError('CODEC_TOO_LARGE', 'text over the limit');
  w.string(s);
}
function readId(r: ByteReader): string {
  const id = r.string(TELEMETRY_LIMITS.maxIdBytes);
  validateNodeId(id);
  return id;
}

function writeSamples(w: ByteWriter, samples: readonly Sample[]): void {
  if (samples.length > TELEMETRY_LIMITS.maxSeriesSamples) throw new CodecError('CODEC_TOO_LARGE', `${samples.length} samples`);
  w.varint(samples.length);
  for (const s of samples) {
    w.varint(s.ageMs);
    w.varint(s.anonKiB);
    w.varint(s.fileKiB);
    w.varint(s.cpuPermille);
    w.varint(s.writes);
    w.varint(s.writeMeanUs);
    w.varint(s.writeMaxUs);
  }
}
function readSamples(r: ByteReader): Sample[] {
  const n = r.count(TELEMETRY_LIMITS.maxSeriesSamples, 7, 'samples');
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      ageMs: r.varint(), anonKiB: r.varint(), fileKiB: r.varint(), cpuPermille: r.varint(),
      writes: r.varint(), writeMeanUs: r.varint(), writeMaxUs: r.varint(),
    });
  }
  return out;
}

function writeFigures(w: ByteWriter, f: BoardFigures): void {
  w.string(f.id);
  w.u8(enumIndex(BOARD_ROLES, f.role, 'role'));
  w.u8(enumIndex(RAFT_ROLES, f.raftRole, 'raft role'));
  writeText(w, f.domain ?? '');
  writeText(w, f.version);
  w.varint(f.uptimeS);
  w.varint(f.anonKiB);
  w.varint(f.fileKiB);
  w.varint(f.cpuPermille);
  w.varint(f.appliedIndex);
  w.varint(f.term);
}
function readFigures(r: ByteReader): BoardFigures {
  const id = readId(r);
  const role = readEnum(r, BOARD_ROLES, 'role');
  const raftRole = readEnum(r, RAFT_ROLES, 'raft role');
  const domain = r.string(TELEMETRY_LIMITS.maxTextBytes);
  const version = r.string(TELEMETRY_LIMITS.maxTextBytes);
  return {
    id, role, raftRole, domain: domain === '' ? null : domain, version,
    uptimeS: r.varint(), anonKiB: r.varint(), fileKiB: r.varint(), cpuPermille: r.varint(),
    appliedIndex: r.varint(), term: r.varint(),
  };
}

function writeMember(m: MemberView): Uint8Array {
  const w = new ByteWriter(TELEMETRY_LIMITS.maxPayloadBytes, 128 + m.series.length * 16);
  w.string(m.id);
  w.u8(enumIndex(BOARD_ROLES, m.role, 'role'));
  w.u8(enumIndex(HEALTHS, m.health, 'health'));
  writeText(w, m.reason);
  writeNullable(w, m.lastContactMs);
  writeNullable(w, m.lagEntries);
  writeNullable(w, m.propagationUs);
  w.bool(m.figures !== null);
  if (m.figures !== null) writeFigures(w, m.figures);
  w.varint(m.reportAgeMs);
  writeSamples(w, m.series);
  return w.finish();
}
function readMember(bytes: Uint8Array): MemberView {
  const r = new ByteReader(bytes);
  const id = readId(r);
  const role = readEnum(r, BOARD_ROLES, 'role');
  const health = readEnum(r, HEALTHS, 'health');
  const reason = r.string(TELEMETRY_LIMITS.maxTextBytes);
  const lastContactMs = readNullable(r);
  const lagEntries = readNullable(r);
  const propagationUs = readNullable(r);
  const figures = r.bool() ? readFigures(r) : null;
  if (figures !== null && figures.id !== id) throw new CodecError('CODEC_INVALID_FIELD', `figures of ${figures.id} under member ${id}`);
  const reportAgeMs = r.varint();
  const series = readSamples(r);
  r.end();
  return { id, role, health, reason, lastContactMs, lagEntries, propagationUs, figures, reportAgeMs, series };
}

// ---- messages ----

export function encodeTelemetry(msg: TelemetryMessage): Uint8Array {
  const w = new ByteWriter(TELEMETRY_LIMITS.maxPayloadBytes, 256);
  w.u8(TELEMETRY_VERSION);
  w.u8(TYPE_TAGS[msg.type]);
  switch (msg.type) {
    case 'report': {
      const rep = msg.report;
      writeFigures(w, rep);
      if (rep.marks.length > TELEMETRY_LIMITS.maxMarks) throw new CodecError('CODEC_TOO_LARGE', `${rep.marks.length} marks`);
      w.varint(rep.marks.length);
      for (const m of rep.marks) {
        w.varint(m.index);
        w.varint(m.agoMs);
      }
      w.bool(rep.full);
      writeSamples(w, rep.series);
      break;
    }
    case 'series-request':
      break;
    case 'view-request':
      w.varint(msg.requestId);
      w.varint(msg.from);
      w.bool(msg.full);
      break;
    case 'view': {
      const p = msg.page;
      w.varint(msg.requestId);
      w.string(p.leader);
      w.varint(p.term);
      w.varint(p.commitIndex);
      w.varint(p.lastIndex);
      w.varint(p.total);
      w.varint(p.from);
      writeNullable(w, p.next);
      if (p.propagation.length > TELEMETRY_LIMITS.maxSeriesSamples) throw new CodecError('CODEC_TOO_LARGE', 'propagation samples');
      w.varint(p.propagation.length);
      for (const s of p.propagation) {
        w.varint(s.ageMs);
        w.varint(s.count);
        w.varint(s.meanUs);
        w.varint(s.maxUs);
      }
      w.varint(p.members.length);
      for (const m of p.members) w.bytes(writeMember(m));
      break;
    }
  }
  return w.finish();
}

/** Encoded size of one member record in a view page (for filling pages up to the payload cap). */
export function encodedMemberBytes(m: MemberView): number {
  const n = writeMember(m).byteLength;
  return n + 5;
}

export function decodeTelemetry(input: Uint8Array): TelemetryMessage {
  return guardDecode(() => {
    if (input.byteLength > TELEMETRY_LIMITS.maxPayloadBytes) throw new CodecError('CODEC_TOO_LARGE', `${input.byteLength} bytes`);
    const r = new ByteReader(input);
    const version = r.u8();
    if (version !== TELEMETRY_VERSION) throw new CodecError('CODEC_UNKNOWN_VERSION', `telemetry version ${version}`);
    const tag = r.u8();
    let msg: TelemetryMessage;
    if (tag === TYPE_TAGS.report) {
      const figures = readFigures(r);
      const n = r.count(TELEMETRY_LIMITS.maxMarks, 2, 'marks');
      const marks: ApplyMark[] = [];
      for (let i = 0; i < n; i++) marks.push({ index: r.varint(), agoMs: r.varint() });
      const full = r.bool();
      msg = { type: 'report', report: { ...figures, marks, full, series: readSamples(r) } };
    } else if (tag === TYPE_TAGS['series-request']) {
      msg = { type: 'series-request' };
    } else if (tag === TYPE_TAGS['seat-release']) {
      msg = { type: 'seat-release' };
    } else if (tag === TYPE_TAGS['view-request']) {
      msg = { type: 'view-request', requestId: r.varint(), from: r.varint(), full: r.bool() };
    } else if (tag === TYPE_TAGS.view) {
      const requestId = r.varint();
      const leader = readId(r);
      const term = r.varint();
      const commitIndex = r.varint();
      const lastIndex = r.varint();
      const total = r.varint();
      const from = r.varint();
      const next = readNullable(r);
      if (total > TELEMETRY_LIMITS.maxMembers || from > total || (next !== null && (next <= from || next > total))) {
        throw new CodecError('CODEC_INVALID_FIELD', `view page ${from}→${next} of ${total}`);
      }
      const np = r.count(TELEMETRY_LIMITS.maxSeriesSamples, 4, 'propagation samples');
      const propagation: DelaySample[] = [];
      for (let i = 0; i < np; i++) propagation.push({ ageMs: r.varint(), count: r.varint(), meanUs: r.varint(), maxUs: r.varint() });
      const nm = r.count(TELEMETRY_LIMITS.maxMembers, 1, 'members');
      if (from + nm > total) throw new CodecError('CODEC_INVALID_FIELD', `${nm} members from ${from} exceed the total ${total}`);
      const members: MemberView[] = [];
      for (let i = 0; i < nm; i++) members.push(readMember(r.bytes(TELEMETRY_LIMITS.maxPayloadBytes, false)));
      msg = { type: 'view', requestId, page: { leader, term, commitIndex, lastIndex, total, from, next, propagation, members } };
    } else {
      throw new CodecError('CODEC_UNKNOWN_TYPE', `telemetry message type ${tag}`);
    }
    r.end();
    return msg;
  });
}
