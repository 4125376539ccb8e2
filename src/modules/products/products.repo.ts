import type { Kysely } from 'kysely';
import type { DB, NewRow, Row } from '../../db/schema.js';

export type ProductRow = Row<'products'>;
/** A product's stored columns, without its key (account and product id). */
export type ProductValues = Omit<NewRow<'products'>, 'account_id' | 'product_id'>;

/** Kysely queries over `products`: one account's copy of 1NCE's catalogue. */
export function createProductsRepo(db: Kysely<DB>) {
  return {
    /** An account's catalogue, by product id. */
    list(accountId: string): Promise<ProductRow[]> {
      return db
        .selectFrom('products')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('product_id')
        .execute();
    },

    /**
     * Replaces an account's catalogue in one transaction: every product upserted, products 1NCE no
     * longer offers dropped (the catalogue is 1NCE's, not history).
     */
    async replaceCatalogue(
      accountId: string,
      products: Array<{ productId: number; values: ProductValues }>,
    ): Promise<void> {
      await db.transaction().execute(async (trx) => {
        for (const { productId, values } of products) {
          await trx
            .insertInto('products')
            .values({ account_id: accountId, product_id: productId, ...values })
            .onConflict((oc) => oc.columns(['account_id', 'product_id']).doUpdateSet(values))
            .execute();
        }
        const ids = products.map((p) => p.productId);
        let stale = trx.deleteFrom('products').where('account_id', '=', accountId);
        if (ids.length > 0) stale = stale.where('product_id', 'not in', ids);
        await stale.execute();
      });
    },
  };
}
