import { Type } from 'typebox';
import type { ConnectivityService } from '../../modules/connectivity/connectivity.service.js';
import { SendSmsBody } from '../../modules/sms/sms.schemas.js';
import type { SmsService } from '../../modules/sms/sms.service.js';
import { parseIdempotencyKey } from '../../modules/topups/idempotency.js';
import { PaymentMethodSchema } from '../../modules/topups/topups.schemas.js';
import type { TopupsService } from '../../modules/topups/topups.service.js';
import { defineTool, type Tool } from '../tool.js';
import { Args, IccidArg } from './schemas.js';

/** Actions on one SIM through 1NCE: SMS, top-up, connectivity reset. */
export function actionTools(services: { sms: SmsService; topups: TopupsService; connectivity: ConnectivityService }): Tool[] {
  return [
    defineTool({
      name: 'send_sms',
      title: 'Send an SMS to a SIM',
      description: 'Send an MT-SMS to the device (GSM-7 up to 160 characters per part, UCS-2 up to 70; longer texts go as concatenated parts). Same as POST /api/v1/sims/{iccid}/sms.',
      policy: 'operator',
      readOnly: false,
      input: Args({ iccid: IccidArg, message: SendSmsBody.properties.message }),
      run: async ({ iccid, message }, caller) => services.sms.send(iccid, { message, sourceAddress: undefined, expiresAt: undefined }, caller.ctx),
    }),
    defineTool({
      name: 'top_up_sim',
      title: 'Top up a SIM',
      description:
        'Book a data top-up for a SIM: a real, invoiced 1NCE order. idempotency_key is required: calling again with the same key returns the first ' +
        'answer instead of booking twice (the same keys as the Idempotency-Key header of POST /api/v1/sims/{iccid}/topup).',
      policy: 'operator',
      readOnly: false,
      destructive: true,
      idempotent: true,
      input: Args({
        iccid: IccidArg,
        idempotency_key: Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$', description: 'A unique key per intended top-up, e.g. a UUID' }),
        payment_method: Type.Optional(PaymentMethodSchema),
      }),
      run: async ({ iccid, idempotency_key, payment_method }, caller) => {
        const result = await services.topups.topUp(iccid, { paymentMethod: payment_method }, caller.ctx, parseIdempotencyKey(idempotency_key));
        return { ...result.body, replayed: result.replayed };
      },
    }),
    defineTool({
      name: 'reset_connectivity',
      title: 'Reset a SIM\'s connectivity',
      description: 'Reset the SIM\'s data session at 1NCE so the device re-attaches; tracked until it does. Same as POST /api/v1/sims/{iccid}/connectivity/reset.',
      policy: 'operator',
      readOnly: false,
      input: Args({ iccid: IccidArg }),
      run: async ({ iccid }, caller) => services.connectivity.reset(iccid, caller.ctx, caller.principal.userId),
    }),
  ];
}
