// js-md4 ships no types; only the pure-JS digest used by src/protocols/auth/ntlm.ts is declared.
declare module 'js-md4' {
  const md4: {
    /** MD4 in JavaScript (the package's top-level call would try node:crypto's md4 instead). */
    arrayBuffer(message: Uint8Array | ArrayBuffer): ArrayBuffer;
  };
  export default md4;
}
