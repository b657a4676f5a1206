// The founding state of a new installation: the same on every founding voter
// given the same --peers (and --bootstrap-secret): the configuration, the
// members' addresses and their member credential digests.
import { emptyConfState, type ConfState, type NodeId } from '../raft/index.ts';
import { StateMachine } from '../state/index.ts';
import type { StartConfig } from '../cli/start-config.ts';
import { encodeMemberContext } from './members.ts';

export function sortedVoters(config: StartConfig): NodeId[] {
  return config.peers.length > 0 ? config.peers.map((p) => p.id).sort() : [config.id];
}

export async function bootstrapState(
  config: StartConfig, wasm: Uint8Array | undefined, advertisePort: number, founders: Readonly<Record<string, string>>,
): Promise<{ image: Uint8Array; confState: ConfState }> {
  const confState: ConfState = { ...emptyConfState, voters: sortedVoters(config) };
  const sm = await StateMachine.create(wasm ? { wasmBinary: wasm } : {});
  const addresses = config.peers.length > 0
    ? Object.fromEntries([...config.peers].sort((a, b) => a.id.localeCompare(b.id)).map((p) => [p.id, { host: p.host, port: p.port }]))
    : { [config.id]: { host: config.advertiseHost, port: advertisePort } };
  sm.applyMembership(1, confState, encodeMemberContext({ requestId: null, addresses }));
  sm.seedCredentials(founders, confState.voters);
  const image = sm.export();
  sm.close();
  return { image, confState };
}
