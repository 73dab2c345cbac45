/**
 * The network identity of each user: two IP addresses and two browser user agents that their
 * page views use, each unique per user (affine bijections of the user index; IPs for up to 16M
 * users, agents for up to 2M).
 *
 * @module
 */
import * as W from '../data-names.js';
import { type Context, rngOf } from './context.js';

/** Size of the Chrome version space used for user agents: 9 majors · 1100 builds · 221 patches. */
const UA_SPACE = 9 * 1100 * 221;

/** The IPs and user agents of one user. */
export interface Network {
  /** Home (`10.x.x.x`) and campus (`172.16-31.x.x`) addresses. */
  readonly ips: readonly [string, string];
  /** Laptop and phone user agents. */
  readonly agents: readonly [string, string];
}

/** `x.y.z` of a position in a space of `n·256·254` addresses (last octet 1..254). */
const octets = (x: number): string =>
  `${Math.floor(x / 65_024)}.${Math.floor(x / 254) % 256}.${1 + (x % 254)}`;

/** A Chrome version of a position in the {@link UA_SPACE}. */
const chrome = (x: number): string =>
  `${118 + (x % 9)}.0.${5900 + (Math.floor(x / 9) % 1100)}.${Math.floor(x / 9900) % 221}`;

/** Home and campus IPs and laptop and phone user agents of user `u`. */
export function network(ctx: Context, u: number): Network {
  const { root, streams } = ctx;
  const rng = rngOf(streams.net, u);
  const home = (u * 40_503 + (root % 16_646_144)) % 16_646_144; // 256·256·254
  const campus = (u * 40_503 + (streams.net % 1_040_384)) % 1_040_384; // 16·256·254
  const laptopVersion = chrome((u * 7_919 + (streams.section % UA_SPACE)) % UA_SPACE);
  const phoneVersion = chrome((u * 104_729 + (streams.entry % UA_SPACE)) % UA_SPACE);
  const laptop = `Mozilla/5.0 (${rng.pick(W.desktopPlatforms)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${laptopVersion} ${rng.chance(0.3) ? `Safari/537.36 Edg/${laptopVersion}` : 'Safari/537.36'}`;
  const phone = rng.chance(0.5)
    ? `Mozilla/5.0 (iPhone; CPU iPhone OS 17_${rng.int(0, 6)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/${phoneVersion} Mobile/15E148 Safari/604.1`
    : `Mozilla/5.0 (Linux; Android ${rng.int(12, 14)}; ${rng.pick(W.phoneModels)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${phoneVersion} Mobile Safari/537.36`;
  const campusOctets = octets(campus);
  const dot = campusOctets.indexOf('.');
  const campusIp = `172.${16 + Number(campusOctets.slice(0, dot))}${campusOctets.slice(dot)}`;
  return { ips: [`10.${octets(home)}`, campusIp], agents: [laptop, phone] };
}
