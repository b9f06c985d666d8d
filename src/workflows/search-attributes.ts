import { defineSearchAttributeKey, type SearchAttributePair, type SearchAttributeType } from '@temporalio/common';

/**
 * What operators filter transactions by in the Temporal Web UI, e.g.
 * `SwitchChannel="22222222" AND SwitchState="REVERSED"`. Never a voucher code: search attributes
 * are not encrypted by the payload codec.
 */
export const searchAttributes = {
  channel: defineSearchAttributeKey('SwitchChannel', 'KEYWORD'),
  provider: defineSearchAttributeKey('SwitchProvider', 'KEYWORD'),
  voucherProvider: defineSearchAttributeKey('SwitchVoucherProvider', 'KEYWORD'),
  product: defineSearchAttributeKey('SwitchProduct', 'KEYWORD'),
  transactionType: defineSearchAttributeKey('SwitchTransactionType', 'KEYWORD'),
  state: defineSearchAttributeKey('SwitchState', 'KEYWORD'),
} as const;

/** Name and type of each, for registering them with a server (dev server flags, operator service). */
export const searchAttributeDefinitions: { name: string; type: SearchAttributeType }[] = Object.values(
  searchAttributes,
).map((key) => ({ name: key.name, type: key.type }));

/** Values of the switch's search attributes by field; an undefined one is left as it is. */
export type SearchFields = Partial<Record<keyof typeof searchAttributes, string | undefined>>;

/** The fields given, as the pairs a workflow's start takes (`typedSearchAttributes`). */
export function searchAttributePairs(fields: SearchFields): SearchAttributePair[] {
  return (Object.keys(fields) as (keyof SearchFields)[])
    .filter((field) => fields[field] !== undefined)
    .map((field) => ({ key: searchAttributes[field], value: fields[field] as string }));
}
