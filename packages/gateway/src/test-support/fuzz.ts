/** Seeded random mutations for hostile-input tests: a failure names its seed and can be replayed. */

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One random mutation of `input`: a byte flipped, a piece cut, duplicated, or spliced from noise. */
export function mutateBytes(input: Uint8Array, random: () => number): Buffer {
  const bytes = Buffer.from(input);
  const at = Math.floor(random() * (bytes.length + 1));
  switch (Math.floor(random() * 7)) {
    case 0:
      return bytes.subarray(0, at); // truncated
    case 1:
      if (at < bytes.length) bytes[at] = Math.floor(random() * 256); // one byte replaced
      return bytes;
    case 2:
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + Math.floor(random() * 16)))]); // a piece deleted
    case 3:
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at), bytes.subarray(at)]); // a tail repeated
    case 4: {
      const noise = Buffer.alloc(1 + Math.floor(random() * 8));
      for (let index = 0; index < noise.length; index++) noise[index] = Math.floor(random() * 256);
      return Buffer.concat([bytes.subarray(0, at), noise, bytes.subarray(at)]); // noise inserted
    }
    case 5:
      if (at + 1 < bytes.length) bytes[at] = 0xff, bytes[at + 1] = 0xff; // a length field maxed out
      return bytes;
    default:
      if (at < bytes.length) bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(random() * 8)); // one bit flipped
      return bytes;
  }
}

/** Applies `rounds` mutations in a row. */
export function mutateMany(input: Uint8Array, random: () => number, rounds: number): Buffer {
  let bytes: Buffer = Buffer.from(input);
  for (let round = 0; round < rounds; round++) bytes = mutateBytes(bytes, random);
  return bytes;
}
