// The page: a header with the connection state, then the installation, the plots, the
// configuration, the live changes and the timeline.
import { useEffect, useState } from 'preact/hooks';
import { Boards } from './boards.tsx';
import { Configuration } from './config.tsx';
import { LiveChanges, TimelineView } from './feed.tsx';
import { Plots } from './plots.tsx';
import type { Store } from './store.ts';

const LINK_TEXT = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  unauthorized: 'token needed',
} as const;

export function App({ store, onToken }: { store: Store; onToken: (token: string) => void }) {
  const [, setVersion] = useState(0);
  const [now, setNow] = useState(Date.now());
  useEffect(() => store.subscribe(() => setVersion(store.version)), [store]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const h = store.hello;
  const link = store.link.state;
  return (
    <>
      <a class="skip" href="#installation">Skip to the installation</a>
      <header>
        <h1>raftlight <span class="muted">{h ? `“${h.cluster}” seen from ${h.id}` : ''}</span></h1>
        <p class={`link link-${link}`} role="status" aria-live="polite" data-link={link}>
          <span class="dot" aria-hidden="true" /> {LINK_TEXT[link]}{store.link.detail && link === 'reconnecting' ? ` (${store.link.detail})` : ''}
        </p>
        <nav aria-label="Sections">
          <a href="#installation">Installation</a>
          <a href="#plots">Plots</a>
          <a href="#configuration">Configuration</a>
          <a href="#changes">Live changes</a>
          <a href="#timeline">Timeline</a>
        </nav>
      </header>
      <main>
        {link === 'unauthorized' && <TokenForm onToken={onToken} />}
        <Boards store={store} now={now} />
        <Plots store={store} now={now} />
        <div class="pair">
          <Configuration store={store} />
          <div>
            <LiveChanges store={store} now={now} />
            <TimelineView store={store} now={now} />
          </div>
        </div>
      </main>
      <footer class="muted">{h ? `raftlight ${h.version}` : ''}</footer>
    </>
  );
}

function TokenForm({ onToken }: { onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  return (
    <form
      class="token" aria-labelledby="token-h"
      onSubmit={(e) => {
        e.preventDefault();
        if (token !== '') onToken(token);
      }}
    >
      <h2 id="token-h">This board needs a token</h2>
      <p>Anonymous reads are off on this installation. Enter the read or write token to see it.</p>
      <label>Token <input type="password" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Connect</button>
    </form>
  );
}
