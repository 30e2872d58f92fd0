import { isIPv6 } from 'node:net';

/**
 * The client address to count under. An IPv4-mapped IPv6 address becomes plain IPv4; any other IPv6
 * address is cut to its `/ipv6Subnet` network (`2001:db8:1:2::/64`), because one client usually
 * holds a whole /64 and could otherwise take fresh quota from every address in it.
 */
export function clientAddress(ip: string, ipv6Subnet: number | false): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped !== null) return mapped[1]!;
  if (ipv6Subnet === false || !isIPv6(ip)) return ip;
  const groups = expand(ip.split('%')[0]!);
  if (groups === undefined) return ip;
  const kept: string[] = [];
  for (let i = 0; i * 16 < ipv6Subnet; i++) {
    const bits = Math.min(16, ipv6Subnet - i * 16);
    const mask = bits === 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    kept.push((groups[i]! & mask).toString(16));
  }
  return `${kept.join(':')}${kept.length < 8 ? '::' : ''}/${ipv6Subnet}`;
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded IPv4 tail included). */
function expand(ip: string): number[] | undefined {
  let text = ip;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const left = parse(halves[0]);
  const right = parse(halves[1]);
  const zeros = halves.length === 2 ? 8 - left.length - right.length : 0;
  const all = [...left, ...Array<string>(zeros).fill('0'), ...right];
  return all.length === 8 ? all.map((g) => parseInt(g, 16)) : undefined;
}
