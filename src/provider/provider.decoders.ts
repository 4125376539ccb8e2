/**
 * Tolerant decoders from 1NCE wire objects to the domain types. Each `decodeX(value)` checks the
 * value against its compiled schema and throws `DecodeError` (turned into ProviderBadResponse by
 * the client) when a field we need is missing; everything optional degrades to null.
 *
 *   decode.ts             DecodeError and the readers of dates, numbers, ids, MB volumes, lists
 *   decoders.sims.ts      SIM, connectivity, usage, quota
 *   decoders.messages.ts  SMS, events
 *   decoders.commerce.ts  orders, products, support tickets, limits
 */
export * from './decode.js';
export * from './decoders.commerce.js';
export * from './decoders.messages.js';
export * from './decoders.sims.js';
