/**
 * What a user holds in an event's users hash: "claimId:slot:seq,claimId:slot:seq,...". The Lua scripts
 * read and write it through held-claims.lua; this is the same format for the TypeScript side.
 */

/** A claim the gate admitted and still counts against the stock and the user's limit. */
export interface HeldClaim {
  claimId: string;
  slot: number;
  seq: number;
}

export const formatHeldClaim = ({ claimId, slot, seq }: HeldClaim): string => `${claimId}:${slot}:${seq}`;

export const formatHeldClaims = (claims: HeldClaim[]): string => claims.map(formatHeldClaim).join(',');

/** The claims of a held-claims string; the claim id may hold ':', slot and seq are the last two parts. */
export const parseHeldClaims = (held: string): HeldClaim[] =>
  held
    .split(',')
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [, claimId = '', slot, seq] = /^(.*):(\d+):(\d+)$/.exec(entry) ?? [];
      return { claimId, slot: Number(slot), seq: Number(seq) };
    });
