/**
 * Readings shared by everyone who asks within `maxAgeMs` of one another: a reading of the key younger
 * than that (or one still in progress) answers, else `read` runs. Each answer says when it was taken.
 * A reading that fails is forgotten, so the next ask reads afresh.
 */
export function createSharedReadings<K, V>(maxAgeMs: number, read: (key: K) => Promise<V>) {
  const readings = new Map<K, { atMs: number; value: Promise<V> }>();
  return {
    async read(key: K): Promise<{ value: V; atMs: number }> {
      const nowMs = Date.now();
      // Old readings go as soon as anyone asks, so the map holds only keys asked about lately.
      for (const [old, reading] of readings) if (nowMs - reading.atMs >= maxAgeMs) readings.delete(old);
      let reading = readings.get(key);
      if (!reading) {
        const fresh = { atMs: nowMs, value: read(key) };
        fresh.value.catch(() => {
          if (readings.get(key) === fresh) readings.delete(key);
        });
        readings.set(key, fresh);
        reading = fresh;
      }
      return { value: await reading.value, atMs: reading.atMs };
    },
  };
}
