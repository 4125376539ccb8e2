import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ProductsService } from '../../modules/products/products.service.js';
import { ProductIdParam, ProductListSchema, ProductSchema, ProductsQuery } from '../../modules/products/products.schemas.js';
import { problemResponses } from '../problem.js';


/** /api/v1/products: 1NCE's catalogue per account (cached; refreshed by POST /products/sync). */
export function productsRoutes(products: ProductsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['orders'],
          summary: 'Products that can be ordered (served from cache or our database; fetched from 1NCE when never synced)',
          querystring: ProductsQuery,
          response: { 200: ProductListSchema, ...problemResponses(400, 401, 403, 404, 429, 502, 503, 504) },
        },
      },
      async (request) => products.list(request.query.account),
    );

    app.get(
      '/:id',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['orders'],
          summary: 'One product',
          params: ProductIdParam,
          querystring: ProductsQuery,
          response: { 200: ProductSchema, ...problemResponses(400, 401, 403, 404, 429, 502, 503, 504) },
        },
      },
      async (request) => products.get(request.query.account, request.params.id),
    );

    app.post(
      '/sync',
      {
        config: { policy: 'operator' },
        schema: {
          tags: ['orders'],
          summary: 'Re-read the catalogue from 1NCE (clears the cache)',
          querystring: ProductsQuery,
          response: { 200: Type.Object({ account_id: Type.String(), fetched: Type.Integer() }), ...problemResponses(400, 401, 403, 404, 429, 502, 503, 504) },
        },
      },
      async (request) => products.sync(request.query.account),
    );
  };
}
