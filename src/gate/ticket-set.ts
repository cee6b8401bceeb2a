/** A set of ticket numbers (1..stock) as bits, growing with the highest one: 1M tickets take 125 kB. */
export class TicketSet {
  private words = new Uint32Array(1024);

  add(ticket: number): void {
    const word = ticket >>> 5;
    if (word >= this.words.length) {
      const grown = new Uint32Array(Math.max(word + 1, this.words.length * 2));
      grown.set(this.words);
      this.words = grown;
    }
    this.words[word]! |= 1 << (ticket & 31);
  }

  has(ticket: number): boolean {
    const word = ticket >>> 5;
    return word < this.words.length && (this.words[word]! & (1 << (ticket & 31))) !== 0;
  }

  /** The tickets 1..`through` not in the set, in order, `size` at a time. */
  *missing(through: number, size: number): Generator<number[]> {
    let chunk: number[] = [];
    for (let ticket = 1; ticket <= through; ticket++) {
      if (this.has(ticket)) continue;
      chunk.push(ticket);
      if (chunk.length === size) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  }
}
