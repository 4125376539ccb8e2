import type { Kysely } from 'kysely';
import type { Cache } from '../../cache.js';
import type { DB } from '../../db/schema.js';
import { NotFound } from '../../errors.js';
import type { ProviderProduct } from '../../provider/provider.types.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import { resolveAccountId } from '../accounts/account-scope.js';
import { createProductsRepo, type ProductRow } from './products.repo.js';
import type { ProductDto } from './products.schemas.js';

/** The catalogue changes a few times a year; an hour is fresh enough and a sync clears it anyway. */
const CACHE_TTL_SECONDS = 3_600;
const CACHE_PREFIX = 'products:';

export interface ProductsServiceDeps {
  db: Kysely<DB>;
  provider: ProviderRegistry;
  cache: Cache;
}

type Charge = ProductDto['one_time_charges'][number];

function toDto(row: ProductRow): ProductDto {
  const syncedAt = row.synced_at as unknown;
  return {
    account_id: row.account_id,
    product_id: row.product_id,
    name: row.name,
    material: row.material,
    package_size: row.package_size,
    min_quantity: row.min_quantity,
    max_quantity: row.max_quantity,
    max_quantity_per_customer: row.max_quantity_per_customer,
    min_contract_duration_months: row.min_contract_duration_months,
    one_time_charges: row.one_time_charges as unknown as Charge[],
    recurring_charges: row.recurring_charges as unknown as Charge[],
    synced_at: syncedAt instanceof Date ? syncedAt.toISOString() : String(syncedAt),
  };
}

/** Charges as jsonb array text (node-postgres would send a JS array as a Postgres array literal). */
const charges = (list: ProviderProduct['oneTimeCharges']) =>
  JSON.stringify(list.map((c) => ({ name: c.name, amount_net: c.amountNet, currency: c.currency })));
const int = (n: number | null) => (n === null || !Number.isFinite(n) ? null : Math.trunc(n));

/** 1NCE's product catalogue per account: stored, cached, refreshed on demand or when empty. */
export function createProductsService(deps: ProductsServiceDeps) {
  const repo = createProductsRepo(deps.db);

  async function sync(accountId: string): Promise<number> {
    const client = await deps.provider.get(accountId);
    const products = (await client.listProducts()).filter((p) => /^\d+$/.test(p.id));
    await repo.replaceCatalogue(
      accountId,
      products.map((p) => ({
        productId: Number(p.id),
        values: {
          name: p.name ?? `product ${p.id}`,
          material: p.material,
          package_size: int(p.packageSize),
          min_quantity: int(p.minQuantity),
          max_quantity: int(p.maxQuantity),
          max_quantity_per_customer: int(p.maxQuantityPerCustomer),
          min_contract_duration_months: int(p.minContractDurationMonths),
          one_time_charges: charges(p.oneTimeCharges),
          recurring_charges: charges(p.recurringCharges),
          raw: p.raw,
          synced_at: new Date(),
        },
      })),
    );
    await deps.cache.deleteByPrefix(`${CACHE_PREFIX}${accountId}`);
    return products.length;
  }

  async function load(accountId: string): Promise<ProductDto[]> {
    return deps.cache.wrap(`${CACHE_PREFIX}${accountId}`, CACHE_TTL_SECONDS, async () => {
      const read = () => repo.list(accountId);
      let rows = await read();
      if (rows.length === 0) {
        await sync(accountId);
        rows = await read();
      }
      return rows.map(toDto);
    });
  }

  return {
    /** The catalogue (served from cache, else our table, else fetched from 1NCE once). */
    async list(requestedAccount: string | undefined) {
      const items = await load(await resolveAccountId(deps.db, requestedAccount));
      return { items, total: items.length };
    },

    async get(requestedAccount: string | undefined, productId: number): Promise<ProductDto> {
      const product = (await load(await resolveAccountId(deps.db, requestedAccount))).find((p) => p.product_id === productId);
      if (product === undefined) throw new NotFound('product', String(productId));
      return product;
    },

    /** Re-reads the catalogue from 1NCE and clears the cache. */
    async sync(requestedAccount: string | undefined) {
      const accountId = await resolveAccountId(deps.db, requestedAccount);
      return { account_id: accountId, fetched: await sync(accountId) };
    },
  };
}

export type ProductsService = ReturnType<typeof createProductsService>;
