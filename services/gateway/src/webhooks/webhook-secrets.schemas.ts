import { z } from 'zod';
import { schemaFor } from '../openapi/schema-for-type';
import { isValidWebhookSecret } from './webhook-signature';

/** A week: longer than any receiver should need to switch to a new secret. */
const MAX_SECRET_GRACE_SECONDS = 604_800;
const DEFAULT_SECRET_GRACE_SECONDS = 86_400;

export const RotateWebhookSecretSchema = z.strictObject({
  secret: z
    .string()
    .refine(isValidWebhookSecret, 'must be whsec_ followed by base64 of 24 to 64 bytes')
    .optional()
    .describe('The new signing secret; generated when left out'),
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(MAX_SECRET_GRACE_SECONDS)
    .default(DEFAULT_SECRET_GRACE_SECONDS)
    .describe('How long the current secret goes on signing beside the new one; 0 ends it now'),
});
export type RotateWebhookSecretInput = z.output<typeof RotateWebhookSecretSchema>;

/** The rotate answer: the one time the new secret is shown. */
export type RotatedWebhookSecret = { id: string; secret: string; previousSecretExpiresAt: string | null };
export const RotatedWebhookSecretSchema = schemaFor<RotatedWebhookSecret>()(
  z.object({
    id: z.string(),
    secret: z.string().describe('The new signing secret (whsec_…): shown only in this response, store it now'),
    previousSecretExpiresAt: z.iso
      .datetime()
      .nullable()
      .describe('Until then every delivery carries a second signature made with the previous secret; null when it stopped signing at once'),
  }),
);
