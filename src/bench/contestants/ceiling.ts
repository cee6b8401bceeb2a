// ceiling: the shared HTTP stack answering every claim with the same admission, no I/O at all.
// Nothing on this stack can answer faster; the other designs are measured against it.
import { parseContestantArgs, runClaimServer, type ClaimVerdict } from './claim-server.ts';

const admitted: ClaimVerdict = { kind: 'ADMITTED', claimId: '00000000-0000-4000-8000-000000000000' };

await runClaimServer(parseContestantArgs(process.argv.slice(2)), async () => admitted);
