import t from 'tap';
import { breakDown, memoryFigures, parseSmaps, parseStatFaults, readProcMemory } from '../../src/board/memory-figures.ts';
import { loadSqlJs } from '../../src/state/sqljs.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const hex = (n: number): string => n.toString(16);

function mapping(start: number, size: number, perms: string, name: string, rssKb: number): string {
  return `${hex(start)}-${hex(start + size)} ${perms} 00000000 00:00 0 ${name}\nSize: ${size / 1024} kB\nRss: ${rssKb} kB\nPss: ${rssKb} kB\n`;
}

t.test('mappings are classified by their shape', async (t) => {
  const arena = 0x7f0000000000; // 64 MiB aligned
  const wasm = 0x7e0000000000;
  const text = [
    mapping(0x400000, 10 * MiB, 'r-xp', '/opt/raftlight', 2048),
    mapping(0x2000000, 8 * MiB, 'rw-p', '[heap]', 6000),
    // WASM memory: 2 GiB guard, 20 MiB read-write, the rest of the 10 GiB reservation
    mapping(wasm, 2 * GiB, '---p', '', 0),
    mapping(wasm + 2 * GiB, 20 * MiB, 'rw-p', '', 512),
    mapping(wasm + 2 * GiB + 20 * MiB, 8 * GiB - 20 * MiB, '---p', '', 0),
    // a thread arena: 1 MiB used, the rest of its 64 MiB PROT_NONE
    mapping(arena, MiB, 'rw-p', '', 900),
    mapping(arena + MiB, 63 * MiB, '---p', '', 0),
    // not an arena: aligned, but its guard does not complete 64 MiB
    mapping(arena + 64 * MiB, MiB, 'rw-p', '', 100),
    mapping(arena + 65 * MiB, MiB, '---p', '', 0),
    // a thread arena right after a second WASM reservation's trailing guard, then that guard's neighbour
    mapping(0x7d0000000000, 2 * GiB, '---p', '', 0),
    mapping(0x7d0000000000 + 2 * GiB, MiB, 'rw-p', '', 64),
    mapping(0x7d0000000000 + 2 * GiB + MiB, 8 * GiB - MiB, '---p', '', 0),
    mapping(0x7d0000000000 + 10 * GiB, 5 * MiB, 'rw-p', '', 3000),
    mapping(0x7d0000000000 + 10 * GiB + 5 * MiB, 59 * MiB, '---p', '', 0),
    // a large malloc chunk mapped right below a reservation's leading guard: not WASM memory
    mapping(0x7c0000000000 - 300 * 1024, 300 * 1024, 'rw-p', '', 300),
    mapping(0x7c0000000000, 2 * GiB, '---p', '', 0),
    mapping(0x7c0000000000 + 2 * GiB, 64 * 1024, 'rw-p', '', 16),
    mapping(0x7c0000000000 + 2 * GiB + 64 * 1024, 8 * GiB - 64 * 1024, '---p', '', 0),
    mapping(0x7f1000000000, 256 * 1024, 'rwxp', '', 200),
    mapping(0x7f2000000000, 256 * 1024, 'rw-p', '', 256),
    mapping(0x7ffe00000000, 132 * 1024, 'rw-p', '[stack]', 40),
  ].join('');
  const maps = parseSmaps(text);
  t.equal(maps.length, 21);
  const b = breakDown(maps, '/opt/raftlight');
  t.equal(b.executableRssBytes, 2048 * 1024);
  t.equal(b.mallocMainArenaRssBytes, 6000 * 1024);
  t.equal(b.wasmReservedBytes, 21 * MiB + 64 * 1024, 'the three WASM memories, not the arena or the malloc chunk beside them');
  t.equal(b.wasmResidentBytes, (512 + 64 + 16) * 1024);
  t.equal(b.mallocThreadArenas, 2);
  t.equal(b.mallocThreadArenasRssBytes, (900 + 3000) * 1024);
  t.equal(b.jitCodeRssBytes, 200 * 1024);
  t.equal(b.pssBytes, (2048 + 6000 + 512 + 900 + 100 + 64 + 3000 + 300 + 16 + 200 + 256 + 40) * 1024);
});

t.test('a mapping the kernel wrote twice (it changed during the read) counts once', async (t) => {
  const heap = (kb: number): string => mapping(0x2000000, 8 * MiB, 'rw-p', '[heap]', kb);
  const text = mapping(0x400000, MiB, 'r-xp', '/opt/raftlight', 100) + heap(6000) + heap(6100) + mapping(0x7f2000000000, MiB, 'rw-p', '', 10);
  const maps = parseSmaps(text);
  t.same(maps.map((m) => m.start), [0x400000, 0x2000000, 0x7f2000000000]);
  t.equal(breakDown(maps, null).mallocMainArenaRssBytes, 6100 * 1024);
});

t.test('page faults from a stat line whose command has spaces and parentheses', async (t) => {
  const stat = '123 (a (b) c) S 1 123 123 0 -1 4194560 5000 0 7 0 10 20 0 0 20 0 8 0 100 0 0';
  t.same(parseStatFaults(stat), { minor: 5000, major: 7 });
  t.equal(parseStatFaults('garbage'), null);
});

t.test('this process: sql.js memory is found and its resident part is within what is reserved', async (t) => {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.run('CREATE TABLE x (v TEXT)');
  for (let i = 0; i < 2000; i++) db.run('INSERT INTO x VALUES (?)', ['x'.repeat(200)]);
  const m = readProcMemory('self');
  t.ok(m.rssBytes! > 0 && m.anonRssBytes! > 0 && m.fileRssBytes! > 0, 'RSS and its parts');
  t.ok(m.pssBytes! > 0 && m.pssBytes! <= m.rssBytes! + MiB, 'PSS at most RSS');
  t.ok(m.wasmReservedBytes! >= 16 * MiB, `WASM memory reserved ${m.wasmReservedBytes}`);
  t.ok(m.wasmResidentBytes! > 0 && m.wasmResidentBytes! <= m.wasmReservedBytes!, `WASM resident ${m.wasmResidentBytes}`);
  t.ok(m.mallocMainArenaRssBytes! > 0, 'glibc main arena');
  t.ok(m.threads! >= 1 && m.majorFaults! >= 0);
  db.close();
  const f = memoryFigures();
  t.ok(f.v8HeapUsedBytes > 0 && f.v8HeapUsedBytes <= f.v8HeapCommittedBytes && f.v8HeapCommittedBytes <= f.v8HeapLimitBytes);
  t.ok(f.arrayBufferBytes >= 0);
  t.ok(f.v8SpacesCommittedBytes['old_space']! > 0 && f.v8SpacesCommittedBytes['new_space']! > 0, 'committed per heap space');
  t.equal(memoryFigures(Date.now()).wasmReservedBytes, f.wasmReservedBytes, 'the smaps part is cached');
});
