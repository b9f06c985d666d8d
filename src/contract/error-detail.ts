import { z } from '@hono/zod-openapi';

export const formatErrorEntry = z
  .strictObject({ field: z.string(), msg: z.string(), value: z.unknown().optional() })
  .openapi('FormatError');

/** Contract §1.2; `detailMessage` holds `formatErrors` for a FORMAT_ERROR, other details otherwise. */
export const errorDetail = z
  .strictObject({
    id: z.string().optional(),
    originalId: z.string().optional(),
    errorType: z.string(),
    errorMessage: z.string(),
    detailMessage: z
      .object({ formatErrors: z.array(formatErrorEntry).optional() })
      .catchall(z.unknown())
      .optional(),
    providerErrorCode: z.string().optional(),
    providerErrorMsg: z.string().optional(),
  })
  .openapi('ErrorDetail');
