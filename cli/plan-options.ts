import { InvalidArgumentError } from 'commander';
import {
  MAX_PLAN_MODELS,
  NAME_PATTERN,
  PRICE_PATTERN,
  type CreatePlanRequest,
  type UpdatePlanRequest,
} from '../functions/api/schemas';
import { MAX_BODY_BYTES } from '../functions/constants';
import { TIERS, type Price, type Tier } from '../functions/core/registry/types';
import { UsageError } from './errors';

/**
 * Option parsers of the `plan` commands, and the request bodies built from them. Parsers
 * throw commander's `InvalidArgumentError` (a usage error naming the option, exit status 2);
 * the builders throw `UsageError` for combinations that cannot be sent.
 */

const NAME_RULE = '1-64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit';
const FREE: Price = { perThousandRequests: '0', perComputeSecond: '0' };

/** A plan id: the rules of model names. */
export function parsePlanId(value: string): string {
  if (!NAME_PATTERN.test(value)) throw new InvalidArgumentError(`expected a plan id of ${NAME_RULE}.`);
  return value;
}

/**
 * `--quota`: requests per month, a positive whole number; `,` or `_` may group thousands.
 *
 * @example
 * parseQuota('1,000,000'); // 1000000
 */
export function parseQuota(value: string): number {
  const trimmed = value.trim();
  if (!/^\d{1,3}([,_]?\d{3})*$/.test(trimmed)) {
    throw new InvalidArgumentError(
      'expected a whole number of requests per month, such as 100000 or 1,000,000.',
    );
  }
  const quota = Number(trimmed.replace(/[,_]/g, ''));
  if (quota <= 0 || !Number.isSafeInteger(quota)) {
    throw new InvalidArgumentError(
      'the quota must be a positive whole number (use --no-quota for unlimited).',
    );
  }
  return quota;
}

/** `--rate`: sustained requests per second, a positive decimal (`0.5` is one every 2 s). */
export function parseRate(value: string): number {
  const trimmed = value.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed) || Number(trimmed) <= 0 || Number(trimmed) > 1_000_000) {
    throw new InvalidArgumentError(
      'expected requests per second: a number above 0, at most 1000000, such as 50.',
    );
  }
  return Number(trimmed);
}

/** `--burst`: requests that may arrive at once, a whole number from 1. */
export function parseBurst(value: string): number {
  const trimmed = value.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < 1 || Number(trimmed) > 10_000_000) {
    throw new InvalidArgumentError('expected a whole number of requests from 1 to 10000000, such as 100.');
  }
  return Number(trimmed);
}

/** `--tiers lambda,sagemaker`: a non-empty list of known tiers. */
export function parseTiers(value: string): Tier[] {
  const names = splitList(value);
  if (names.length === 0) throw new InvalidArgumentError(`expected one or more of ${TIERS.join(', ')}.`);
  const unknown = names.filter((name) => !isTier(name));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown tier ${unknown.join(', ')}; expected some of ${TIERS.join(', ')}.`,
    );
  }
  return [...new Set(names.filter(isTier))];
}

/** `--models a,b`: the model names a plan may call. */
export function parseModels(value: string): string[] {
  const names = [...new Set(splitList(value))];
  if (names.length === 0) {
    throw new InvalidArgumentError('expected one or more model names (--no-models allows every model).');
  }
  const bad = names.filter((name) => !NAME_PATTERN.test(name));
  if (bad.length > 0) {
    throw new InvalidArgumentError(
      `${bad.map((name) => `"${name}"`).join(', ')}: a model name is ${NAME_RULE}.`,
    );
  }
  if (names.length > MAX_PLAN_MODELS) throw new InvalidArgumentError(`at most ${MAX_PLAN_MODELS} models.`);
  return names;
}

const PAYLOAD_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, kb: 1024, mb: 1024 * 1024 };

/**
 * `--max-payload`: the largest request body, in bytes, or with `KB`/`MB` (powers of 1024),
 * from 1 byte to the platform's limit (6 MB).
 *
 * @example
 * parseMaxPayload('1MB'); // 1048576
 */
export function parseMaxPayload(value: string): number {
  const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(value.trim());
  const [, amount = '', unit = ''] = match ?? [];
  const bytes = Number(amount) * (PAYLOAD_UNITS[unit.toLowerCase()] ?? Number.NaN);
  if (match === null || !Number.isSafeInteger(bytes) || bytes < 1 || bytes > MAX_BODY_BYTES) {
    throw new InvalidArgumentError(
      `expected bytes from 1 to ${MAX_BODY_BYTES} (6MB), such as 1048576 or 1MB.`,
    );
  }
  return bytes;
}

/** `--currency usd`: an ISO 4217 code, upper-cased. */
export function parseCurrency(value: string): string {
  const code = value.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code)) throw new InvalidArgumentError('expected an ISO 4217 code such as USD.');
  return code;
}

/**
 * A price spec `<name>=<per 1,000 requests>/<per compute-second>`, both decimal strings
 * with at most 6 decimals.
 *
 * @example
 * parsePriceSpec('lambda=0.40/0.00005'); // { name: 'lambda', price: { perThousandRequests: '0.40', perComputeSecond: '0.00005' } }
 */
export function parsePriceSpec(value: string): { name: string; price: Price } {
  const match = /^([^=]+)=([^/]+)\/(.+)$/.exec(value.trim());
  const [, name = '', perThousand = '', perSecond = ''] = match ?? [];
  if (match === null || !PRICE_PATTERN.test(perThousand) || !PRICE_PATTERN.test(perSecond)) {
    throw new InvalidArgumentError(
      'expected <name>=<price per 1000 requests>/<price per compute-second>, decimals with at most 6 places, such as lambda=0.40/0.00005.',
    );
  }
  return { name, price: { perThousandRequests: perThousand, perComputeSecond: perSecond } };
}

/** `--price <tier>=<per1k>/<perSecond>`, repeatable: prices by tier. */
export function collectTierPrice(
  value: string,
  previous: Readonly<Partial<Record<Tier, Price>>> = {},
): Partial<Record<Tier, Price>> {
  const { name, price } = parsePriceSpec(value);
  if (!isTier(name)) {
    throw new InvalidArgumentError(
      `unknown tier "${name}"; expected ${TIERS.join(' or ')} (per-model prices go in --model-price).`,
    );
  }
  return { ...previous, [name]: price };
}

/** `--model-price <model>=<per1k>/<perSecond>`, repeatable: prices by model name. */
export function collectModelPrice(
  value: string,
  previous: Readonly<Record<string, Price>> = {},
): Record<string, Price> {
  const { name, price } = parsePriceSpec(value);
  if (!NAME_PATTERN.test(name)) throw new InvalidArgumentError(`"${name}": a model name is ${NAME_RULE}.`);
  return { ...previous, [name]: price };
}

/** A repeatable model name option (`--drop-model-price <model>`). */
export function collectModelName(value: string, previous: readonly string[] = []): string[] {
  if (!NAME_PATTERN.test(value)) throw new InvalidArgumentError(`"${value}": a model name is ${NAME_RULE}.`);
  return [...previous, value];
}

/**
 * The values of the plan options as commander gives them: `false` for the `--no-` form
 * (unlimited, every model, no description).
 */
export interface PlanOptionValues {
  readonly description?: string | false;
  readonly quota?: number | false;
  readonly rate?: number | false;
  readonly burst?: number;
  readonly tiers?: Tier[];
  readonly models?: string[] | false;
  readonly maxPayload?: number;
  readonly currency?: string;
  readonly price?: Partial<Record<Tier, Price>>;
  readonly modelPrice?: Record<string, Price>;
  readonly dropModelPrice?: string[];
}

/**
 * The body of `POST /admin/plans`. Without `--burst`, the burst is one second of the rate
 * (rounded up). Every allowed tier needs a `--price`; tiers the plan may not call are priced
 * 0 unless given.
 */
export function createPlanRequest(planId: string, options: PlanOptionValues): CreatePlanRequest {
  if (options.burst !== undefined && typeof options.rate !== 'number') {
    throw new UsageError('--burst needs --rate: the burst is an allowance above a sustained rate');
  }
  if (options.dropModelPrice !== undefined) {
    throw new UsageError('--drop-model-price is for plan update: a new plan has no prices to drop');
  }
  const allowed = options.tiers ?? [...TIERS];
  const missing = allowed.filter((tier) => options.price?.[tier] === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `give a price for every tier the plan may call: ${missing.map((tier) => `--price ${tier}=<per1k>/<perComputeSecond>`).join(' ')} (${missing[0]}=0/0 for no charge)`,
    );
  }
  const tierPrice = (tier: Tier): Price => options.price?.[tier] ?? FREE;
  return {
    planId,
    ...(typeof options.description === 'string' ? { description: options.description } : {}),
    ...(typeof options.quota === 'number' ? { monthlyQuota: options.quota } : {}),
    ...(typeof options.rate === 'number'
      ? { rateLimit: { requestsPerSecond: options.rate, burst: options.burst ?? Math.ceil(options.rate) } }
      : {}),
    ...(options.tiers === undefined ? {} : { allowedTiers: options.tiers }),
    ...(Array.isArray(options.models) ? { allowedModels: options.models } : {}),
    ...(options.maxPayload === undefined ? {} : { maxPayloadBytes: options.maxPayload }),
    ...(options.currency === undefined ? {} : { currency: options.currency }),
    prices: {
      tiers: { lambda: tierPrice('lambda'), sagemaker: tierPrice('sagemaker') },
      ...(options.modelPrice === undefined ? {} : { models: options.modelPrice }),
    },
  };
}

/**
 * The merge patch of `PATCH /admin/plans/{planId}`: only what the options name changes;
 * `--no-quota`, `--no-rate`, `--no-models` and `--no-description` remove the limit (or list).
 */
export function updatePlanRequest(options: PlanOptionValues): UpdatePlanRequest {
  if (options.rate === false && options.burst !== undefined) {
    throw new UsageError('--no-rate removes the rate limit: it cannot go with --burst');
  }
  const dropped = options.dropModelPrice ?? [];
  const both = dropped.filter((name) => options.modelPrice?.[name] !== undefined);
  if (both.length > 0)
    throw new UsageError(`model ${both.join(', ')}: both --model-price and --drop-model-price`);
  const rateLimit =
    options.rate === false
      ? null
      : options.rate !== undefined || options.burst !== undefined
        ? {
            ...(options.rate === undefined ? {} : { requestsPerSecond: options.rate }),
            ...(options.burst === undefined ? {} : { burst: options.burst }),
          }
        : undefined;
  const modelPrices =
    options.modelPrice === undefined && dropped.length === 0
      ? undefined
      : { ...options.modelPrice, ...Object.fromEntries(dropped.map((name) => [name, null])) };
  const patch: UpdatePlanRequest = {
    ...(options.description === undefined ? {} : { description: options.description || null }),
    ...(options.quota === undefined ? {} : { monthlyQuota: options.quota === false ? null : options.quota }),
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(options.tiers === undefined ? {} : { allowedTiers: options.tiers }),
    ...(options.models === undefined
      ? {}
      : { allowedModels: options.models === false ? null : options.models }),
    ...(options.maxPayload === undefined ? {} : { maxPayloadBytes: options.maxPayload }),
    ...(options.currency === undefined ? {} : { currency: options.currency }),
    ...(options.price === undefined && modelPrices === undefined
      ? {}
      : {
          prices: {
            ...(options.price === undefined ? {} : { tiers: options.price }),
            ...(modelPrices === undefined ? {} : { models: modelPrices }),
          },
        }),
  };
  if (Object.keys(patch).length === 0) {
    throw new UsageError('nothing to change: give at least one option (see infergate plan update --help)');
  }
  return patch;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

function isTier(name: string): name is Tier {
  return (TIERS as readonly string[]).includes(name);
}
