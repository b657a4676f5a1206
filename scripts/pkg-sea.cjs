// Runs @yao-pkg/pkg's SEA builder for one target. Must run under a Node 22+
// binary whose exact version equals the target's (build.mjs uses the x64 base
// binary from the npm registry), so pkg generates the blob without any download.
// Called programmatically because pkg's CLI does not forward a SEA config
// (execArgv, execArgvExtension, assets) in simple SEA mode.
'use strict';
const [entry, nodeVersion, platform, arch, output, execArgvJson, execArgvExtension, assetsJson] = process.argv.slice(2);
if (!assetsJson) {
  console.error('usage: pkg-sea.cjs <entry.cjs> <node-version> <platform> <arch> <output> <execArgv-json> <execArgvExtension> <assets-json: {"key": "file"}>');
  process.exit(2);
}
const options = require('@yao-pkg/pkg/lib-es5/options.js').default;
const sea = require('@yao-pkg/pkg/lib-es5/sea.js').default;
options.set({});
sea(entry, {
  targets: [{ nodeRange: `node${nodeVersion}`, platform, arch, output }],
  seaConfig: { execArgv: JSON.parse(execArgvJson), execArgvExtension, assets: JSON.parse(assetsJson) },
}).then(
  () => process.exit(0),
  (err) => {
    console.error(`pkg SEA failed for ${platform}-${arch}: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  },
);
