// mqtt-packet's numbers module, which its package exports by path but does not type.
declare module 'mqtt-packet/numbers.js' {
  const numbers: {
    genBufVariableByteInt(num: number): Buffer;
  };
  export default numbers;
}
