// The simulation's client operations on one register (the area "reg", its
// name "v<value>"), written and read linearizably through the boards' own API.
// The checker also knows compare-and-set, which the simulation does not issue.

export type RegisterOp =
  | { readonly kind: 'write'; readonly value: number }
  | { readonly kind: 'cas'; readonly expect: number; readonly value: number }
  | { readonly kind: 'read' };

export type OpResult = { readonly ok: boolean; readonly value?: number };
