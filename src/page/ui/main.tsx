// Entry point of the installer's page (bundled by scripts/build-page.mjs).
import { render } from 'preact';
import './page.css';
import { App } from './app.tsx';
import { applyChange, loadConfiguration } from './config-data.ts';
import { LiveLink } from './live.ts';
import { Store } from './store.ts';
import type { ChangeEvent } from './types.ts';

const TOKEN_KEY = 'raftlight-token';
const store = new Store();
const token = (): string | null => sessionStorage.getItem(TOKEN_KEY);

// Configuration reads follow the stream: a full read at each (re)connection, then one read
// per changed object, one at a time so they apply in commit order.
let reads: Promise<void> = Promise.resolve();
const queue = (f: () => Promise<void>): void => {
  reads = reads.then(f, f);
};

const link = new LiveLink('v1/stream', token, {
  event(name, data) {
    store.apply(name, data);
    if (name === 'hello') queue(() => loadConfiguration(store, token()));
    if (name === 'change') queue(() => applyChange(store, data as ChangeEvent, token()));
  },
  state(state, detail) {
    store.link = { state, detail };
    store.changed();
  },
});

function onToken(value: string): void {
  sessionStorage.setItem(TOKEN_KEY, value);
  link.start();
}

const root = document.getElementById('app')!;
root.textContent = '';
render(<App store={store} onToken={onToken} />, root);
link.start();
