// Help texts for every command, generated from the option table where one exists.
import { envName, startOptions, type OptionSpec } from './options.ts';
import { version } from './version.ts';

function formatOptions(specs: readonly OptionSpec[]): string {
  return specs
    .map((s) => {
      const value = s.kind === 'bool' ? '' : s.kind === 'list' ? ' <a,b,...>' : ` <${s.kind === 'string' ? 'text' : 'n'}>`;
      const def = s.default === undefined || (Array.isArray(s.default) && s.default.length === 0) ? '' : ` [default: ${String(s.default)}]`;
      return `  --${s.flag}${value}\n      ${s.help}${def}\n      env ${envName(s)}, config key "${s.key}"`;
    })
    .join('\n');
}

export const commandSummaries: ReadonlyArray<[string, string]> = [
  ['start', 'run one board: embedded MQTT broker, REST API, Raft member'],
  ['status', 'print a board\'s status (raftlight status --board http://host:8080)'],
  ['join-token', 'issue a join token for one new board (raftlight join-token --board URL --token WRITE_TOKEN)'],
  ['join', 'admit a new board with a join token before its first start (or: raftlight start --join URL --join-token T)'],
  ['dev-cluster', 'start a local installation on loopback (raftlight dev-cluster 3 --externals 2)'],
  ['bench', 'launch an installation of many boards, drive a workload, measure and plot'],
  ['version', 'print the version (also --version)'],
  ['help', 'print help for a command (raftlight help start)'],
];

export function mainHelp(): string {
  const cmds = commandSummaries.map(([c, d]) => `  ${c.padEnd(12)} ${d}`).join('\n');
  return `raftlight ${version} — keeps a lighting installation's configuration identical on every controller board.

Usage: raftlight <command> [options]

Commands:
${cmds}

Global options:
  --help, -h     show help (after a command: that command's help)
  --version, -v  print the version

Run "raftlight help <command>" for the options of a command.
`;
}

export function startHelp(): string {
  return `Usage: raftlight start [options]

Runs one board. Every option can also come from an environment variable or a
JSON config file (--config); flags override the environment, which overrides
the file, which overrides the defaults.

Options:
${formatOptions(startOptions)}

Stops cleanly on SIGTERM or SIGINT (a leader hands leadership over first).
`;
}

export function commandHelp(usage: string, what: string, specs: readonly OptionSpec[]): string {
  return `Usage: raftlight ${usage}\n\n${what}\n\nOptions:\n${formatOptions(specs)}\n`;
}
