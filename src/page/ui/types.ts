// The JSON of the board's live stream (/v1/stream); src/board/live-feed.ts produces it.

export type Health = 'ok' | 'degraded' | 'down' | 'unknown';
export type BoardRole = 'voter' | 'external' | 'none';

export interface Hello {
  readonly id: string;
  readonly cluster: string;
  readonly version: string;
  readonly serverTime: number;
}

export interface BoardStatus {
  readonly id: string;
  readonly role: BoardRole;
  readonly raftRole: string;
  readonly leader: string | null;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
}

export interface Member {
  readonly id: string;
  readonly role: BoardRole;
  readonly health: Health;
  readonly reason: string;
  readonly lastContactMs: number | null;
  readonly lagEntries: number | null;
  readonly propagationMs: number | null;
  readonly reported: boolean;
  readonly raftRole?: string;
  readonly domain?: string | null;
  readonly version?: string;
  readonly uptimeS?: number;
  readonly anonBytes?: number;
  readonly fileBytes?: number;
  readonly cpu?: number;
  readonly appliedIndex?: number;
  readonly term?: number;
  readonly reportAgeMs?: number;
}

export interface Installation {
  readonly leader: string;
  readonly term: number;
  readonly commitIndex: number;
  readonly lastIndex: number;
  readonly ageMs: number;
  readonly members: readonly Member[];
}

/** [ageMs, anonKiB, fileKiB, cpu‰, writes, writeMeanUs, writeMaxUs] */
export type SampleRow = readonly [number, number, number, number, number, number, number];
/** [ageMs, count, meanUs, maxUs] */
export type DelayRow = readonly [number, number, number, number];

export interface SeriesEvent {
  readonly full: boolean;
  readonly members: Readonly<Record<string, readonly SampleRow[]>>;
  readonly propagation: readonly DelayRow[];
}

export interface TimelineEntry {
  readonly at: number;
  readonly kind: 'leader' | 'membership' | 'health';
  readonly text: string;
}

export type ObjectKind = 'area' | 'device' | 'zone' | 'scene' | 'button';
export const KINDS: readonly ObjectKind[] = ['area', 'device', 'zone', 'scene', 'button'];

export interface ChangeRecord {
  readonly revision: number;
  readonly kind: ObjectKind;
  readonly id: string;
  readonly op: 'create' | 'update' | 'delete';
}

export interface ChangeEvent {
  readonly revision: number;
  readonly requestId: string | null;
  readonly changes: ReadonlyArray<{ kind: ObjectKind; id: string; op: 'create' | 'update' | 'delete'; revision: number }>;
}

export interface StoredObject {
  readonly kind: ObjectKind;
  readonly id: string;
  readonly revision: number;
  readonly value: Record<string, unknown>;
}
