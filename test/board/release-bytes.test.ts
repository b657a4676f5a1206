import t from 'tap';
import { releaseBytes } from '../../src/board/release-bytes.ts';

const canTransfer = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';

t.test('an array that owns its buffer is emptied; a view into a shared one is left alone', { skip: canTransfer ? false : 'needs ArrayBuffer.prototype.transfer (Node 22)' }, async (t) => {
  const image = new Uint8Array(1 << 20).fill(7);
  t.equal(releaseBytes(image), true);
  t.equal(image.byteLength, 0, 'detached');
  const shared = new Uint8Array(4096);
  const view = shared.subarray(16, 32);
  t.equal(releaseBytes(view), false);
  t.equal(shared.byteLength, 4096);
  t.equal(releaseBytes(new Uint8Array(0)), false);
});

t.test('without transfer (Node 20) nothing happens', { skip: canTransfer ? 'this Node has transfer' : false }, async (t) => {
  const image = new Uint8Array(1024);
  t.equal(releaseBytes(image), false);
  t.equal(image.byteLength, 1024);
});
