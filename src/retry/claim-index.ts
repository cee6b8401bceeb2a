/** A claim id as a 52-bit number (two FNV-1a hashes): what the drift check compares instead of the strings. */
export function fingerprintOf(claimId: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ claimId.length;
  for (let i = 0; i < claimId.length; i++) {
    const c = claimId.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  // 0 stands for "no claim" in a ClaimIndex.
  return ((a >>> 0) % 0x100000) * 0x100000000 + (b >>> 0) || 1;
}

/**
 * Claims by ticket, each as its fingerprint: 8 bytes a ticket instead of a claim's strings, so the drift
 * check of a 1M-ticket event holds megabytes, not hundreds of them. Several claims on one ticket (a
 * ticket handed out twice after Redis lost data) are kept aside.
 */
export class ClaimIndex {
  private fingerprints = new Float64Array(1024);
  private readonly more = new Map<number, number[]>();
  /** Claims in the index. */
  size = 0;

  /** Adds the claim; false when it is there already. */
  add(seq: number, fingerprint: number): boolean {
    if (this.has(seq, fingerprint)) return false;
    if (seq >= this.fingerprints.length) {
      const grown = new Float64Array(Math.max(seq + 1, this.fingerprints.length * 2));
      grown.set(this.fingerprints);
      this.fingerprints = grown;
    }
    if (this.fingerprints[seq] === 0) this.fingerprints[seq] = fingerprint;
    else this.more.set(seq, [...(this.more.get(seq) ?? []), fingerprint]);
    this.size++;
    return true;
  }

  has(seq: number, fingerprint: number): boolean {
    if (seq >= this.fingerprints.length) return false;
    return this.fingerprints[seq] === fingerprint || (this.more.get(seq)?.includes(fingerprint) ?? false);
  }

  /** Whether any claim holds the ticket. */
  hasTicket(seq: number): boolean {
    return seq < this.fingerprints.length && this.fingerprints[seq] !== 0;
  }

  /** Each claim of the index, as ticket and fingerprint. */
  *entries(): Generator<[number, number]> {
    for (let seq = 0; seq < this.fingerprints.length; seq++) {
      const fingerprint = this.fingerprints[seq]!;
      if (fingerprint === 0) continue;
      yield [seq, fingerprint];
      for (const other of this.more.get(seq) ?? []) yield [seq, other];
    }
  }
}
