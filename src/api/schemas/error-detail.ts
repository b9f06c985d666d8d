import { z } from '@hono/zod-openapi';

export const formatErrorEntry = z
  .object({ field: z.string(), msg: z.string(), value: z.unknown().optional() })
  .openapi('FormatError');

export const errorDetail = z
  .object({
    id: z.string().optional(),
    originalId: z.string().optional(),
    errorType: z.string(),
    errorMessage: z.string(),
    detailMessage: z.record(z.string(), z.unknown()).optional(),
    providerErrorCode: z.string().optional(),
    providerErrorMsg: z.string().optional(),
  })
  .openapi('ErrorDetail');
