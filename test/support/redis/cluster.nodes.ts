/** `CLUSTER NODES` parsed, and which of its flags mean a node is not (yet) usable. */

export interface ClusterNodeInfo {
  id: string;
  port: number;
  flags: string[];
  masterId: string | undefined;
  linkState: string;
  slots: Array<[number, number]>;
}

export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  const out: ClusterNodeInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    const parts = line.trim().split(' ');
    if (parts.length < 8) continue;
    const [id, addr, flags, master, , , , linkState, ...slotParts] = parts;
    if (id === undefined || addr === undefined || flags === undefined || master === undefined)
      continue;
    const m = /:(\d+)@/.exec(addr);
    const slots: Array<[number, number]> = [];
    for (const s of slotParts) {
      if (s.startsWith('[')) continue; // migrating / importing marker
      const [a, b] = s.split('-');
      const from = Number(a);
      const to = b !== undefined ? Number(b) : from;
      if (Number.isInteger(from) && Number.isInteger(to)) slots.push([from, to]);
    }
    out.push({
      id,
      port: m?.[1] !== undefined ? Number(m[1]) : 0,
      flags: flags.split(','),
      masterId: master === '-' ? undefined : master,
      linkState: linkState ?? '',
      slots,
    });
  }
  return out;
}

const FAILED_FLAGS = ['fail', 'fail?', 'handshake', 'noaddr'];
export const isFailed = (n: ClusterNodeInfo): boolean =>
  n.flags.some((f) => FAILED_FLAGS.includes(f));
