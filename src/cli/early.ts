// Imported first by main.ts: what must be in place before any other module
// (or the runtime) uses it.
// - mqtt-packet's length encoder, replaced before mqtt-packet's writer takes
//   a reference to it (src/transport/mqtt-packet-varbyteint.ts).
import '../transport/mqtt-packet-varbyteint.ts';
