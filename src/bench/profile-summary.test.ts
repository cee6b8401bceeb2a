import { describe, expect, it } from 'vitest';
import { hotSpots } from './profile-summary.ts';

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });

describe('hotSpots', () => {
  it('ranks functions by self time and names files the short way', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('admit', 'file:///work/main/src/gate/gate.ts', 9) },
        { id: 3, callFrame: frame('serialize', 'file:///work/main/node_modules/fastify/lib/reply.js', 99) },
      ],
      samples: [2, 2, 3, 3, 3, 1],
      timeDeltas: [100, 100, 100, 100, 100, 100],
    };
    expect(hotSpots(profile, 2)).toEqual([
      { where: 'serialize (fastify/lib/reply.js:100)', selfPercent: 50 },
      { where: 'admit (src/gate/gate.ts:10)', selfPercent: 33.3 },
    ]);
  });
});
