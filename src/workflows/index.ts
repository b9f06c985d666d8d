export { redeliverAdvice } from './advice-redelivery';
export { provisionVoucher } from './provision-voucher';
export { settlementReport } from './settlement-report';
export { redeemVoucher, refundVoucher } from './use-voucher';
export { voucherLifecycle } from './voucher-lifecycle';
