import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { UnprocessableError } from '../../errors.js';

/**
 * Where webhooks may be delivered (SSRF protection). A receiver must be a public unicast address:
 * loopback, private, link-local, CGNAT, unique-local, multicast, unspecified, reserved and
 * translation ranges (6to4, Teredo, NAT64) are refused, whatever the spelling of the URL (WHATWG URL
 * parsing normalises `127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`; ipaddr.js classifies the
 * result, IPv4-mapped IPv6 included). Names are checked on every address they resolve to, once when
 * the subscription is saved and again at connect time (DNS rebinding), through `lookup`.
 *
 * Relaxations: `WEBHOOK_ALLOWED_HOSTS` (names, IPs or CIDRs trusted as they are),
 * `WEBHOOK_ALLOW_PRIVATE=true` (labs: loopback, private, link-local, CGNAT, unique-local), and demo
 * mode (loopback). Cloud metadata endpoints, unspecified and multicast addresses are never allowed
 * except through an explicit WEBHOOK_ALLOWED_HOSTS entry.
 */

export interface WebhookTargetOptions {
  /** Host names (exact, case-insensitive), IP addresses or CIDR ranges trusted without the address check. */
  allowedHosts: readonly string[];
  /** Labs: allow loopback, private, link-local, CGNAT and unique-local receivers. */
  allowPrivate: boolean;
  /** Demo mode: allow loopback receivers. */
  allowLoopback: boolean;
  /** Injected resolver for tests (defaults to the OS resolver, as connections use). */
  resolve?: (hostname: string) => Promise<string[]>;
}

/** Ranges (ipaddr.js names) that `WEBHOOK_ALLOW_PRIVATE` opens; everything else but `unicast` stays shut. */
const PRIVATE_RANGES = new Set(['loopback', 'private', 'linkLocal', 'carrierGradeNat', 'uniqueLocal']);

/** Instance metadata services (AWS, GCP, Azure, Alibaba, Oracle, ECS task metadata), public-looking ones included. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', '169.254.170.2', '169.254.169.123', '168.63.129.16', '100.100.100.200', '192.0.0.192', 'fd00:ec2::254']);
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);

/** Thrown when a receiver address is refused; the message says which address and why. */
export class WebhookTargetForbidden extends Error {
  constructor(readonly address: string, readonly reason: string) {
    super(`webhook target ${address} is not allowed (${reason})`);
    this.name = 'WebhookTargetForbidden';
  }
}

const bare = (host: string) => host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** The address as ipaddr.js sees it, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) unwrapped to IPv4. */
function normalise(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const parsed = ipaddr.parse(address);
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
}

/** Parses WEBHOOK_ALLOWED_HOSTS entries; returns the problems of invalid ones (for config validation). */
export function allowedHostProblems(entries: readonly string[]): string[] {
  const problems: string[] = [];
  for (const entry of entries) {
    const host = bare(entry);
    if (host.includes('/')) {
      if (!ipaddr.isValidCIDR(host)) problems.push(`WEBHOOK_ALLOWED_HOSTS entry "${entry}" is not a valid CIDR range`);
    } else if (!ipaddr.isValid(host) && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host)) {
      problems.push(`WEBHOOK_ALLOWED_HOSTS entry "${entry}" must be a host name, an IP address or a CIDR range`);
    }
  }
  return problems;
}

/** getaddrinfo has no timeout of its own; a hung resolver must not hang a request or a delivery. */
const RESOLVE_TIMEOUT_MS = 5_000;

/** Resolves every address of a name with the OS resolver (what a connection would use). */
function resolveAll(hostname: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`resolving ${hostname} timed out`), { code: 'ETIMEOUT' })), RESOLVE_TIMEOUT_MS);
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(addresses.map((a) => a.address));
    });
  });
}

/** The SSRF policy for webhook receivers: URL validation, address checks and a guarded `lookup`. */
export function createWebhookTargetPolicy(options: WebhookTargetOptions) {
  const names = new Set<string>();
  const cidrs: Cidr[] = [];
  for (const entry of options.allowedHosts) {
    const host = bare(entry);
    if (host.includes('/')) cidrs.push(ipaddr.parseCIDR(host));
    else if (ipaddr.isValid(host)) cidrs.push([normalise(host), normalise(host).kind() === 'ipv4' ? 32 : 128]);
    else names.add(host);
  }
  const resolve = options.resolve ?? resolveAll;

  const inAllowedRange = (ip: ipaddr.IPv4 | ipaddr.IPv6) => cidrs.some(([range, bits]) => range.kind() === ip.kind() && ip.match(range, bits));

  /** Throws WebhookTargetForbidden unless `address` (an IP literal) may receive webhooks. */
  const checkAddress = (address: string): void => {
    if (!ipaddr.isValid(bare(address))) throw new WebhookTargetForbidden(address, 'not an IP address');
    const ip = normalise(bare(address));
    if (inAllowedRange(ip)) return;
    const text = ip.toString();
    if (METADATA_ADDRESSES.has(text)) throw new WebhookTargetForbidden(text, 'cloud metadata service');
    const range = ip.range();
    if (range === 'unicast') return;
    if (options.allowPrivate && PRIVATE_RANGES.has(range)) return;
    if (options.allowLoopback && range === 'loopback') return;
    throw new WebhookTargetForbidden(text, `${range} address; set WEBHOOK_ALLOWED_HOSTS or WEBHOOK_ALLOW_PRIVATE=true to allow it`);
  };

  /** Whether a host name is trusted by WEBHOOK_ALLOWED_HOSTS (then its addresses are not checked). */
  const trustedName = (hostname: string) => names.has(bare(hostname));

  /** Refuses names that only ever mean this machine or a metadata service, before any DNS. */
  const checkName = (hostname: string): void => {
    const host = bare(hostname);
    if (trustedName(host)) return;
    if (METADATA_NAMES.has(host)) throw new WebhookTargetForbidden(host, 'cloud metadata service');
    const local = host === 'localhost' || host.endsWith('.localhost') || host === 'localhost.localdomain';
    if (local && !options.allowPrivate && !options.allowLoopback) {
      throw new WebhookTargetForbidden(host, 'loopback name; set WEBHOOK_ALLOWED_HOSTS or WEBHOOK_ALLOW_PRIVATE=true to allow it');
    }
  };

  return {
    checkAddress,
    trustedName,

    /**
     * Validates a subscription URL (create and update): an IP literal is classified at once; a name
     * is refused if it is a loopback/metadata name or resolves to any refused address. A name that
     * does not resolve yet is accepted: every delivery checks again at connect time.
     */
    async assertUrlAllowed(url: string, field = '/body/url'): Promise<void> {
      const host = new URL(url).hostname;
      try {
        if (ipaddr.isValid(bare(host))) {
          checkAddress(host);
          return;
        }
        checkName(host);
        if (trustedName(host)) return;
        let addresses: string[];
        try {
          addresses = await resolve(bare(host));
        } catch {
          return;
        }
        for (const address of addresses) checkAddress(address);
      } catch (error) {
        if (!(error instanceof WebhookTargetForbidden)) throw error;
        throw new UnprocessableError(`url is not an allowed webhook receiver: ${error.message}`, [{ field, message: error.message }], 'webhook_url_forbidden');
      }
    },

    /**
     * A `lookup` for `net.connect`/`tls.connect`: resolves like the OS and fails the connection when
     * any address is refused, so a name that passed validation cannot be re-pointed at an internal
     * address afterwards (DNS rebinding). IP-literal URLs never call `lookup`: check them with
     * `checkAddress` before connecting.
     */
    lookup(
      hostname: string,
      lookupOptions: { all?: boolean | undefined; family?: number | string | undefined } | number | undefined,
      callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
    ): void {
      const all = typeof lookupOptions === 'object' && lookupOptions?.all === true;
      const fail = (error: Error) => callback(error, all ? [] : '', 0);
      try {
        checkName(hostname);
      } catch (error) {
        fail(error as Error);
        return;
      }
      resolve(bare(hostname)).then(
        (addresses) => {
          if (addresses.length === 0) return fail(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }));
          try {
            if (!trustedName(hostname)) for (const address of addresses) checkAddress(address);
          } catch (error) {
            return fail(error as Error);
          }
          const entries = addresses.map((address) => ({ address, family: ipaddr.parse(address).kind() === 'ipv6' ? 6 : 4 }));
          if (all) callback(null, entries);
          else callback(null, entries[0]!.address, entries[0]!.family);
        },
        (error: Error) => fail(error),
      );
    },
  };
}

export type WebhookTargetPolicy = ReturnType<typeof createWebhookTargetPolicy>;
